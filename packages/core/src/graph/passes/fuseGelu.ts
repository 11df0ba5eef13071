// Fuses the towers' decomposed GELUs into onnxruntime's com.microsoft Gelu / QuickGelu.
//
// Patterns, as GraphBuilder.gelu emits them:
//   exact: Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5)      → Gelu(x)
//   quick: Mul(x, Sigmoid(Mul(x, 1.702)))                  → QuickGelu(x, alpha 1.702)
// (LayerNorm needs no fusion: the towers already emit opset-17 LayerNormalization.)
import type { Tensor } from '../../tensor/tensor.js';
import { eliminateDeadCode, useDefIndex } from '../graphEditing.js';
import { GraphBuilder } from '../graphBuilder.js';
import type { Graph, Node } from '../ir.js';
import { attrFloat } from '../ir.js';
import type { GraphPass } from './graphPass.js';
import { MICROSOFT_DOMAIN } from './fuseAttention.js';

function scalarValue(t: Tensor | undefined): number | undefined {
  if (!t || t.data.length !== 1 || !(t.data instanceof Float32Array)) return undefined;
  return t.data[0];
}

const near = (a: number | undefined, b: number, tolerance = 1e-6): boolean => a !== undefined && Math.abs(a - b) <= tolerance * Math.abs(b);

interface GeluMatch {
  readonly output: Node;
  readonly x: string;
  /** QuickGelu's alpha; undefined for the exact GELU. */
  readonly alpha?: number;
}

function findGelus(graph: Graph): GeluMatch[] {
  const { producer } = useDefIndex(graph);
  const def = (value: string | undefined, op: string): Node | undefined => {
    const i = value === undefined ? undefined : producer.get(value);
    const node = i === undefined ? undefined : graph.nodes[i];
    return node && node.op === op && !node.domain ? node : undefined;
  };
  const constant = (value: string | undefined): number | undefined => (value === undefined ? undefined : scalarValue(graph.initializers.get(value)));
  // The operand of a binary node that is not the scalar constant `c`, when the other one is.
  const withConstant = (node: Node | undefined, c: number): string | undefined => {
    if (!node) return undefined;
    const [a, b] = node.inputs as [string, string];
    if (near(constant(b), c)) return a;
    if (near(constant(a), c)) return b;
    return undefined;
  };

  const matches: GeluMatch[] = [];
  for (const node of graph.nodes) {
    if (node.op !== 'Mul' || node.domain) continue;
    // Exact: Mul(inner, 0.5) with inner = Mul(x, Add(Erf(Div(x, √2)), 1)).
    const inner = def(withConstant(node, 0.5), 'Mul');
    if (inner) {
      for (const [x, onePlus] of [[inner.inputs[0]!, inner.inputs[1]!], [inner.inputs[1]!, inner.inputs[0]!]] as const) {
        const erf = def(withConstant(def(onePlus, 'Add'), 1), 'Erf');
        const div = def(erf?.inputs[0], 'Div');
        if (div && div.inputs[0] === x && near(constant(div.inputs[1]), Math.SQRT2)) {
          matches.push({ output: node, x });
          break;
        }
      }
      continue;
    }
    // Quick: Mul(x, Sigmoid(Mul(x, alpha))).
    for (const [x, gate] of [[node.inputs[0]!, node.inputs[1]!], [node.inputs[1]!, node.inputs[0]!]] as const) {
      const sigmoid = def(gate, 'Sigmoid');
      const scaled = def(sigmoid?.inputs[0], 'Mul');
      if (!scaled) continue;
      const [a, b] = scaled.inputs as [string, string];
      const alpha = a === x ? constant(b) : b === x ? constant(a) : undefined;
      if (alpha !== undefined) {
        matches.push({ output: node, x, alpha });
        break;
      }
    }
  }
  return matches;
}

/** The GELU fusion pass (inference only: Gelu and QuickGelu have no gradient rules). */
export const fuseGelu: GraphPass = {
  name: 'fuse-gelu',
  needsOps: [`${MICROSOFT_DOMAIN}:Gelu`, `${MICROSOFT_DOMAIN}:QuickGelu`],
  differentiable: false,
  apply(graph) {
    const matches = new Map(findGelus(graph).map((m) => [m.output, m]));
    if (matches.size === 0) return graph;
    const g = GraphBuilder.rewriting(graph);
    for (const node of graph.nodes) {
      const m = matches.get(node);
      if (!m) g.appendNode(node);
      else {
        g.appendNode({
          op: m.alpha === undefined ? 'Gelu' : 'QuickGelu',
          domain: MICROSOFT_DOMAIN,
          inputs: [m.x],
          outputs: [...node.outputs],
          attributes: m.alpha === undefined ? {} : { alpha: attrFloat(m.alpha) },
          name: node.name,
        });
      }
    }
    return eliminateDeadCode(g.build());
  },
};
