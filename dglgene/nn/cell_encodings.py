r"""Per-cell gene encodings kept on disk: memory flat in the number of cells.

A frozen foundation model encodes every cell once; scTransNet's pooling then reads a
random subset of cells per training step and all cells, chunk by chunk, at evaluation.
Held in memory, the cells x genes x dim tensor grows with the cells (512 cells of scBERT's
16,906 genes x 200 dims are 6.9 GB). :class:`CellEncodings` appends each encoded chunk to
an anonymous temporary file (float32, one contiguous block per cell) and reads cells back
with ``os.pread`` into fresh tensors, so only the cells asked for are ever in memory, and
the file is gone when the object is.

Example
-------
>>> import torch
>>> store = CellEncodings(n_genes=3, dim=2)
>>> for chunk in torch.arange(24.0).reshape(4, 3, 2).split(3):   # 4 cells, in 2 chunks
...     store.append(chunk)
>>> store.shape, store.cells([3, 0])[:, 0].tolist()
((4, 3, 2), [[18.0, 19.0], [0.0, 1.0]])
>>> [c.shape[0] for c in store.chunks(3)]
[3, 1]
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import Tensor

__all__ = ["CellEncodings"]


class CellEncodings:
    """Cells x genes x dim float32 encodings in a temporary file (module docstring).

    ``directory``: where the file lives (default: the system's temporary directory).
    """

    def __init__(self, n_genes: int, dim: int, directory: str | os.PathLike | None = None
                 ) -> None:
        # unlinked at once: freed when the store is (so no context manager)
        self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self.n_genes, self.dim, self.n_cells = int(n_genes), int(dim), 0
        self._cell_bytes = self.n_genes * self.dim * 4

    def __del__(self) -> None:
        # closed here, not by the garbage collector, which warns (ResourceWarning)
        file = getattr(self, "_file", None)
        if file is not None:
            file.close()

    @classmethod
    def from_tensor(cls, encodings: Tensor, chunk_cells: int = 64) -> CellEncodings:
        """A store holding ``encodings`` (cells x genes x dim)."""
        if encodings.ndim != 3:
            raise ValueError("encodings must be a cells x genes x dim tensor")
        store = cls(encodings.shape[1], encodings.shape[2])
        for chunk in encodings.split(chunk_cells):
            store.append(chunk)
        return store

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.n_cells, self.n_genes, self.dim

    def __len__(self) -> int:
        return self.n_cells

    def append(self, chunk: Tensor) -> None:
        """Add cells (cells x genes x dim) after the ones already stored."""
        if chunk.ndim != 3 or tuple(chunk.shape[1:]) != (self.n_genes, self.dim):
            raise ValueError(f"a chunk must be cells x {self.n_genes} x {self.dim}, got "
                             f"{tuple(chunk.shape)}")
        data = memoryview(chunk.detach().to("cpu", torch.float32).contiguous().numpy()).cast("B")
        offset = self.n_cells * self._cell_bytes
        while data:  # pwrite may write less than asked
            written = os.pwrite(self._file.fileno(), data, offset)
            data, offset = data[written:], offset + written
        self.n_cells += chunk.shape[0]

    def _read(self, start: int, count: int) -> np.ndarray:
        raw = os.pread(self._file.fileno(), count * self._cell_bytes, start * self._cell_bytes)
        if len(raw) != count * self._cell_bytes:
            raise OSError(f"short read from the encodings file ({len(raw)} bytes)")
        return np.frombuffer(bytearray(raw), np.float32).reshape(count, self.n_genes,
                                                                 self.dim)

    def cells(self, index: Sequence[int] | Tensor) -> Tensor:
        """The cells ``index`` (in that order), cells x genes x dim."""
        index = [int(i) for i in index]
        if any(not 0 <= i < self.n_cells for i in index):
            raise IndexError(f"cell index out of range for {self.n_cells} cells")
        out = torch.empty(len(index), self.n_genes, self.dim)
        for row, i in enumerate(index):
            out[row] = torch.from_numpy(self._read(i, 1)[0])
        return out

    def chunks(self, size: int) -> Iterator[Tensor]:
        """All cells in order, ``size`` at a time."""
        for start in range(0, self.n_cells, size):
            yield torch.from_numpy(self._read(start, min(size, self.n_cells - start)))
