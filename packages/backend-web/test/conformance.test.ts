// The fixture parity cases on onnxruntime-web under Node: wasm always; webgpu is a browser
// device (run by the end-to-end tests in Chromium), so here it is skipped with its reason.
import { createWebBackend } from '@aaclip/backend-web';
import { describeConformance } from '../../core/test/conformance/describeConformance.js';

describeConformance({ label: 'web/wasm (Node)', backend: createWebBackend, device: 'wasm' });
describeConformance({ label: 'web/webgpu (Node)', backend: createWebBackend, device: 'webgpu', optional: true });
