import { registerBackend } from '@aaclip/core';
import { createWebBackend } from './onnxruntimeWebBackend.js';

/** Priority of the web backend: below backend-node's, so Node programs that load both use native onnxruntime. */
export const WEB_BACKEND_PRIORITY = 1;

registerBackend('web', createWebBackend, WEB_BACKEND_PRIORITY);
