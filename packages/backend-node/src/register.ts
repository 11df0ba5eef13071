import { registerBackend } from '@aaclip/core';
import { createNodeBackend } from './onnxruntimeNodeBackend.js';

/** Priority of the node backend: above backend-web's, so Node programs use native onnxruntime. */
export const NODE_BACKEND_PRIORITY = 2;

registerBackend('node', createNodeBackend, NODE_BACKEND_PRIORITY);
