// Numpy broadcasting: the shape rule of elementwise ops and, in reverse, the reduction that
// brings a gradient of the broadcast shape back to an input's shape.
import { AaclipError } from '../../errors/aaclipError.js';
import type { GraphBuilder } from '../graphBuilder.js';
import type { Dim } from '../ir.js';

export function broadcastShapes(shapes: readonly (readonly Dim[])[], source: string): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1) continue;
      if (dim === 1) dim = d;
      else if (dim !== d) {
        if (typeof dim === 'number' && typeof d === 'number') {
          throw new AaclipError(`shapes [${shapes.map((x) => x.join(', ')).join('] and [')}] do not broadcast`, source);
        }
        // Two different symbols: keep the first (they must agree at run time).
      }
    }
    out.push(dim);
  }
  return out;
}

/**
 * Sums `grad` (of shape `from`) over the axes that broadcasting added or stretched, so that it
 * has shape `to`. Emits nothing when the shapes already agree.
 */
export function reduceToShape(g: GraphBuilder, grad: string, from: readonly Dim[], to: readonly Dim[]): string {
  const lead = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) {
    if (i < lead) axes.push(i);
    else if (to[i - lead] === 1 && from[i] !== 1) axes.push(i);
  }
  if (axes.length === 0) return grad;
  const summed = g.reduceSum(grad, axes, true);
  if (lead === 0) return summed;
  return reshapeTo(g, summed, to);
}

/** Reshape to a static shape (symbolic dims must not occur: training graphs have concrete shapes). */
export function reshapeTo(g: GraphBuilder, x: string, shape: readonly Dim[]): string {
  return g.reshape(x, staticShape(shape, 'reshape target'));
}

export function staticShape(shape: readonly Dim[], what: string): number[] {
  return shape.map((d) => {
    if (typeof d !== 'number') throw new AaclipError(`needs a concrete shape, but dimension "${d}" is symbolic (build the graph with a fixed batch size)`, what);
    return d;
  });
}
