"""Generated images as one PNG grid, pixel for pixel."""

import math
import os

import torch
from PIL import Image, PngImagePlugin

from topkgan.metrics.fid import to_uint8

GRID_PADDING = 2


def write_image_grid(path: str, images: torch.Tensor, title: str | None = None) -> str:
    """Tile images [N, C, H, W] in [-1, 1] into a square-ish grid PNG at `path`.

    Pixels go through the same 8-bit conversion as FID, unscaled, so the
    grid shows exactly what Inception sees; `title` is stored in the PNG's
    text chunk rather than drawn over the images.
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3) or len(images) == 0:
        raise ValueError(f"images: expected [N >= 1, 1 or 3, H, W], got {list(images.shape)}")

    pixels = to_uint8(images.cpu())
    count, channels, height, width = pixels.shape
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = torch.full(
        (channels, rows * (height + GRID_PADDING) + GRID_PADDING,
         columns * (width + GRID_PADDING) + GRID_PADDING),
        255, dtype=torch.uint8,
    )
    for index in range(count):
        row, column = divmod(index, columns)
        top = GRID_PADDING + row * (height + GRID_PADDING)
        left = GRID_PADDING + column * (width + GRID_PADDING)
        grid[:, top : top + height, left : left + width] = pixels[index]

    array = grid.permute(1, 2, 0).squeeze(2).numpy()
    image = Image.fromarray(array, mode="L" if channels == 1 else "RGB")
    info = PngImagePlugin.PngInfo()
    if title:
        info.add_text("Title", title)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temp_path = f"{path}.tmp"
    image.save(temp_path, format="png", pnginfo=info)
    os.replace(temp_path, path)
    return path
