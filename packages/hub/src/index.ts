// @aaclip/hub: models from the Hugging Face hub, in the hub's own cache layout (shared with the
// Python tools), by repo id or by preset name.
export { hubEnvironment, DEFAULT_ENDPOINT, type HubEnvironment } from './environment/hubEnvironment.js';
export {
  parseRepoReference,
  looksLikeRepoReference,
  formatRepoReference,
  repoIdProblem,
  revisionProblem,
  DEFAULT_REVISION,
  type RepoReference,
} from './repo/repoReference.js';
export { checkedRepoFilePath } from './repo/repoFilePath.js';
export { listRepo, repoInfoUrl, treeUrl, resolveUrl, type RepoFile, type RepoListing } from './api/repoListing.js';
export { HubUnreachableError } from './api/hubRequest.js';
export { repoCacheLayout, repoFolderName, type RepoCacheLayout } from './cache/cacheLayout.js';
export { downloadBlob, blobIdOf, normalizeEtag } from './download/downloadBlob.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy, type TransferEvent, type TransferListener } from './download/transferEvents.js';
export { pullRepoFiles, type PulledFile, type PulledRepo, type PullOptions, type FilePicker } from './snapshot/pullRepoFiles.js';
export { HUB_MODEL_FILES, chooseModelFiles, chooseTokenizerFiles, type HubFileRole } from './model/modelFileChoice.js';
export { MODEL_PRESETS, DEFAULT_TOKENIZER_REPO, findPreset, type ModelPreset } from './model/presets.js';
export {
  resolveHubModel,
  isModelPreset,
  type HubFileProvenance,
  type HubModelProvenance,
  type ResolvedHubModel,
  type ResolveHubModelOptions,
} from './model/resolveHubModel.js';
