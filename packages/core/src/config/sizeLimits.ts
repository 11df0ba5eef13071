// Upper bounds on the sizes a model config or the settings may ask for. They are checked when the
// JSON or the flags are parsed, before anything is sized from them: a config saying
// "layers": 1000000000 must fail at once naming the field, not after minutes of building tables.
// Each bound is far above every released CLIP (ViT-bigG-14: 48 layers, width 1664, 336 px) and
// far below what would exhaust memory merely by being described.

/** Transformer blocks per tower. */
export const MAX_TOWER_LAYERS = 256;
/** Width of a tower, of the shared embedding and of one attention head. */
export const MAX_TOWER_WIDTH = 16_384;
/** Attention heads of the text tower. */
export const MAX_ATTENTION_HEADS = 1024;
/** MLP width / tower width. */
export const MAX_MLP_RATIO = 64;
/** Side of a vision patch in pixels. */
export const MAX_PATCH_SIZE = 1024;
/** Side of the square image a model is trained at (config) or run at (settings), in pixels. */
export const MAX_IMAGE_SIZE = 4096;
/** Tokens per text (CLIP uses 77). */
export const MAX_CONTEXT_LENGTH = 4096;
/** Entries in the token embedding (CLIP's BPE has 49408). */
export const MAX_VOCAB_SIZE = 1_048_576;
