/**
 * Data for the book: resolving and checking files (cache, mirror, URL), the IDX format, NumPy's
 * `.npy`/`.npz` files, MNIST, and shuffled minibatches.
 *
 * @module
 */

export {
  type Asset,
  AssetNotFoundError,
  cacheDirFor,
  ChecksumError,
  type ChecksumReport,
  mirrorDirsFor,
  projectRoot,
  resolveAsset,
  type ResolveOptions,
  sha256File,
  sha256Hex,
  verifyChecksums,
} from "./assets.ts";
export { type IdxArray, parseIdx, readIdx } from "./idx.ts";
export {
  loadMnist,
  type Mnist,
  MNIST_CLASSES,
  MNIST_PIXELS,
  MNIST_SHA256,
  MNIST_SIDE,
  mnistAsset,
  type MnistFile,
  mnistNpmDir,
  type MnistOptions,
  type MnistSplit,
} from "./mnist.ts";
export { type Minibatch, minibatches, shuffledIndices } from "./batches.ts";
export { randomTranslate } from "./augment.ts";
export {
  type NpyArray,
  type NpyData,
  type NpyDtype,
  parseNpy,
  parseNpz,
  readNpy,
  readNpz,
} from "./npy.ts";
export {
  FILES,
  namedFile,
  namedTree,
  type RegisteredFile,
  registeredNames,
  type RegisteredTree,
  resolveNamedAsset,
  resolveNamedTree,
  TREES,
} from "./registry.ts";
export {
  gitBlobId,
  type GitTree,
  readTreeList,
  resolveGitTree,
  type TreeFile,
  type TreeOptions,
  TreeVerificationError,
} from "./git_tree.ts";
export {
  ADRENAL_CLASSES,
  loadAdrenalMnist3d,
  loadModelNetSubset,
  seededClassSplit,
  type VolumeDataset,
  type VolumeSplit,
} from "./volumes.ts";
export { loadUsps, parseUsps, USPS_SIDE, type UspsSplit } from "./usps.ts";
