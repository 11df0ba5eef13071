// The commands of distributed scoring on a Redis queue (@aaclip/queue).
export { workerCommand } from './worker.js';
export { submitCommand } from './submit.js';
export { collectCommand } from './collect.js';
