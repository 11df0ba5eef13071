// OpenAI's CLIP checkpoints (ViT-L-14-336px.pt, the file the AA-CLIP reference loads) are
// TorchScript archives (torch.jit.save): the model's Python source under `<name>/code/`, the code's
// tensor constants in `constants.pkl`, and `data.pkl` — the module itself, pickled as objects of
// `__torch__.<path>.<Class>` types whose state is a dict of their attributes (submodules,
// parameters, buffers, plain values). Only data.pkl is read, and only as data: each `__torch__`
// object becomes a plain dict of its attributes, so every tensor is found under its attribute path
// (`visual.conv1.weight`, … — open_clip's state-dict names). The code is never read, let alone
// parsed or run; constants.pkl holds the code's constants, not weights, and is not read either.
import type { TensorMap } from '../tensor/tensor.js';
import type { PickleHooks } from './restrictedPickle.js';
import { PyDict } from './restrictedPickle.js';

/** torch.jit's helpers for typed lists and type tags: each is called with the value it wraps first. */
const JIT_VALUE_WRAPPERS: ReadonlySet<string> = new Set([
  'torch.jit._pickle.build_intlist',
  'torch.jit._pickle.build_doublelist',
  'torch.jit._pickle.build_boollist',
  'torch.jit._pickle.build_tensorlist',
  'torch.jit._pickle.restore_type_tag',
]);

/** torch.jit pickles a device attribute as `torch.device(name)`. */
const TORCH_DEVICE = 'torch.device';

const isScriptClassModule = (module: string): boolean => module === '__torch__' || module.startsWith('__torch__.');

/** A TorchScript object read as data: its attributes, by name. */
export class ScriptObject extends PyDict {
  constructor(readonly className: string) {
    super();
  }
}

/** True when the archive under `prefix` (e.g. "ViT-L-14-336px/") was written by torch.jit.save. */
export function isTorchScriptArchive(entryNames: Iterable<string>, prefix: string): boolean {
  for (const name of entryNames) {
    if (name === `${prefix}constants.pkl` || name.startsWith(`${prefix}code/`)) return true;
  }
  return false;
}

/**
 * The hooks of a torch.save reader (`base`), extended to read a TorchScript data.pkl: `__torch__.*`
 * classes are accepted by name and become ScriptObjects (never anything callable), BUILD fills them
 * from their attribute dict, and torch.jit's list/type wrappers yield the value they wrap. Every
 * other global is still refused by the base rules.
 */
export function torchScriptHooks(base: PickleHooks, fail: (problem: string) => never): PickleHooks {
  return {
    allowedGlobals: new Set([...base.allowedGlobals, ...JIT_VALUE_WRAPPERS, TORCH_DEVICE]),
    allowsGlobal: (module) => isScriptClassModule(module),
    persistentLoad: (pid) => base.persistentLoad(pid),
    reduce(callable, args) {
      if (isScriptClassModule(callable.module)) {
        if (args.length > 0) return fail(`pickle: TorchScript object ${callable.qualifiedName} is built from arguments (only objects with attribute state are read)`);
        return new ScriptObject(callable.qualifiedName);
      }
      if (callable.qualifiedName === TORCH_DEVICE) {
        // A device attribute, torch.device('cuda:0'): kept as its name.
        if (typeof args[0] !== 'string') return fail('pickle: torch.device without a device name');
        return args[0];
      }
      if (JIT_VALUE_WRAPPERS.has(callable.qualifiedName)) {
        if (args.length === 0) return fail(`pickle: ${callable.qualifiedName} without a value`);
        return args[0]!;
      }
      return base.reduce(callable, args);
    },
    build(target, state) {
      if (!(target instanceof ScriptObject)) return undefined;
      if (!(state instanceof PyDict)) return fail(`pickle: TorchScript object ${target.className} has state that is not an attribute dict (custom __getstate__ is not supported)`);
      if (target.entries.size > 0) return fail(`pickle: TorchScript object ${target.className} is given its state twice`);
      for (const [name, value] of state.entries) target.entries.set(name, value);
      return target;
    },
  };
}

/** Scalars OpenAI's CLIP keeps as tensors beside its weights; open_clip drops them when it loads the model. */
const OPENAI_SIZE_TENSORS: ReadonlySet<string> = new Set(['input_resolution', 'context_length', 'vocab_size']);

/**
 * The state dict within a TorchScript module's attribute tensors, as open_clip takes it from
 * OpenAI's CLIP: each text block's causal mask, kept as a plain attribute
 * (`transformer.resblocks.N.attn_mask`), is computed by the model and is no weight; the sizes
 * `input_resolution`, `context_length` and `vocab_size` are dropped as open_clip drops them.
 */
export function scriptModuleStateDict(attributes: TensorMap): TensorMap {
  return new Map([...attributes].filter(([name]) => !/(^|\.)attn_mask$/.test(name) && !OPENAI_SIZE_TENSORS.has(name)));
}
