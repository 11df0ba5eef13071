// The fixture parity cases on onnxruntime-node: cpu always; webgpu where the machine has an
// adapter (with no GPU, a software Vulkan driver such as SwiftShader: set VK_ICD_FILENAMES).
import { createNodeBackend } from '@aaclip/backend-node';
import { describeConformance } from '../../core/test/conformance/describeConformance.js';

describeConformance({ label: 'node/cpu', backend: createNodeBackend, device: 'cpu' });
describeConformance({ label: 'node/webgpu', backend: createNodeBackend, device: 'webgpu', optional: true });
