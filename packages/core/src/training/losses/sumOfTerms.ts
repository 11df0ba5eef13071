import { AaclipError } from '../../errors/aaclipError.js';
import type { GraphBuilder } from '../../graph/graphBuilder.js';

/** The sum of scalar loss terms, as a chain of Adds (first term first, as the reference adds them). */
export function sumOfTerms(g: GraphBuilder, terms: readonly string[], name = 'loss_sum'): string {
  if (terms.length === 0) throw new AaclipError('no loss terms to add', 'loss graph');
  return terms.slice(1).reduce((sum, term, i) => g.add(sum, term, i === terms.length - 2 ? name : undefined), terms[0]!);
}
