r"""scBERT-compatible Performer encoder (FAVOR+ linear attention) that loads scBERT checkpoints.

scBERT (Yang et al. 2022, TencentAILabHealthcare/scBERT) is a ``PerformerLM`` from a modified
copy of lucidrains' ``performer_pytorch``: ``num_tokens=7, dim=200, depth=6, heads=10,
dim_head=64, max_seq_len=16907, local_attn_heads=0`` with a frozen gene2vec table as the
positional embedding (``pos_emb.emb.weight``, 16,906 gene rows plus a zero row for the extra
last position). :class:`ScBertEncoder` re-implements that network with the same parameter
names, so ``model.load_state_dict(ckpt["model_state_dict"])`` works directly.

FAVOR+ (Choromanski et al. 2021). Per head, with queries/keys :math:`x \in \mathbb{R}^d`, the
checkpoint's random projection :math:`W \in \mathbb{R}^{m \times d}` (orthogonal Gaussian rows,
:math:`m = \lfloor d \ln d \rfloor` by default), :math:`c = d^{-1/4}` and :math:`\epsilon=10^{-4}`:

.. math::
    \phi(x) = m^{-1/2}\left(\exp\left(c\,Wx - \tfrac{c^2}{2}\lVert x\rVert^2 - s\right)
              + \epsilon\right), \qquad
    \mathrm{out}_i = \frac{\phi(q_i)^\top \sum_j \phi(k_j)\, v_j^\top}
                          {\phi(q_i)^\top \sum_j \phi(k_j)},

which approximates softmax attention :math:`\exp(q_i^\top k_j/\sqrt d)` in
:math:`O(n\,m\,d)` time and memory instead of :math:`O(n^2)` (16,906 genes). :math:`s` is a
stabiliser: the row maximum of :math:`c\,Wq` for queries; for keys, ``key_stabiliser`` picks

- ``"cell"`` (default): the maximum over one cell's heads, genes and features. This is what
  scBERT computes in inference (its ``predict.py`` feeds one cell at a time and its kernel
  takes ``torch.max`` of the whole key tensor), and it keeps a cell's output independent of
  the other cells in its batch;
- ``"batch"``: the maximum over the whole batch (scBERT's kernel, literally, for batches > 1);
- ``"head"``: the maximum per cell and head (``performer-pytorch`` >= 1.1, e.g. 1.1.4).

The choice matters only through :math:`\epsilon` (the shift cancels otherwise).

Tokens and gene matching (:func:`~dglgene.nn.scbert_tokens.expression_to_tokens`,
:func:`~dglgene.nn.scbert_tokens.match_genes`) live in :mod:`dglgene.nn.scbert_tokens`.

Checkpoints (:func:`save_scbert_checkpoint`) are scBERT's ``{"model_state_dict": ...}`` plus
our ``config`` and, optionally, ``genes`` (the gene of each position; :func:`checkpoint_genes`
reads it back); :func:`load_scbert_checkpoint` ignores keys it does not need, so it reads
scBERT's files and ours alike. Masked-value pre-training lives in
:mod:`dglgene.train.pretrain`.

Example
-------
>>> import numpy as np, torch
>>> from dglgene.nn.scbert_tokens import expression_to_tokens
>>> counts = np.array([[0, 1, 3, 9996], [2, 6, 9992, 0]])
>>> tokens = expression_to_tokens(counts)      # log2(1 + x) for totals of 1e4, clipped at 5
>>> tokens
tensor([[0, 1, 2, 5],
        [1, 2, 5, 0]])
>>> model = ScBertEncoder(dim=16, depth=1, heads=2, dim_head=8, max_seq_len=4).eval()
>>> model(tokens, return_encodings=True).shape, model(tokens).shape
(torch.Size([2, 4, 16]), torch.Size([2, 4, 7]))
"""

from __future__ import annotations

import math
import os
import pickle
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dglgene.atomic import atomic_path
from dglgene.errors import DglgeneInputError
from dglgene.nn.scbert_tokens import SCBERT_BIN_NUM

__all__ = [
    "SCBERT_CONFIG",
    "SCBERT_N_GENES",
    "ScBertEncoder",
    "checkpoint_genes",
    "encode_cells",
    "favor_features",
    "iter_encodings",
    "linear_attention",
    "load_scbert_checkpoint",
    "orthogonal_random_features",
    "save_scbert_checkpoint",
]

SCBERT_N_GENES = 16_906
SCBERT_CONFIG: dict[str, int] = dict(num_tokens=SCBERT_BIN_NUM + 2, dim=200, depth=6, heads=10,
                                     dim_head=64, max_seq_len=SCBERT_N_GENES + 1)

KeyStabiliser = Literal["cell", "batch", "head"]
# Bookkeeping buffer of scBERT's Performer (never used here: we do not redraw features).
_REDRAW_KEY = "performer.calls_since_last_redraw"
_REDRAW_KEY_PYPI = "performer.proj_updater.calls_since_last_redraw"  # performer-pytorch >= 1.0


# ---------------------------------------------------------------------------------- FAVOR+


def orthogonal_random_features(nb_features: int, dim_head: int,
                               generator: torch.Generator | None = None) -> Tensor:
    """Gaussian orthogonal random matrix (``nb_features x dim_head``), rows scaled by chi norms.

    Blocks of ``dim_head`` orthonormal rows (QR of a Gaussian matrix); each row is rescaled to
    the norm of an independent Gaussian vector so that rows are marginally Gaussian.
    """
    blocks = []
    for _ in range(math.ceil(nb_features / dim_head)):
        q, _ = torch.linalg.qr(torch.randn(dim_head, dim_head, generator=generator))
        blocks.append(q.t())
    rows = torch.cat(blocks)[:nb_features]
    norms = torch.randn(nb_features, dim_head, generator=generator).norm(dim=1)
    return norms[:, None] * rows


def favor_features(x: Tensor, projection: Tensor, *, is_query: bool,
                   key_stabiliser: KeyStabiliser = "cell", eps: float = 1e-4) -> Tensor:
    """Positive softmax-kernel features :math:`\\phi(x)` of ``x`` (cells x heads x genes x d)."""
    scaled = x * x.shape[-1] ** -0.25  # normalize_data: c = d^(-1/4) folds 1/sqrt(d) into q.k
    proj = scaled @ projection.to(x.dtype).t()                      # cells x heads x genes x m
    half_sq_norm = 0.5 * scaled.pow(2).sum(-1, keepdim=True)        # the "diagonal" term
    if is_query:
        shift = proj.amax(-1, keepdim=True)
    elif key_stabiliser == "cell":
        shift = proj.amax(dim=(1, 2, 3), keepdim=True)
    elif key_stabiliser == "head":
        shift = proj.amax(dim=(2, 3), keepdim=True)
    elif key_stabiliser == "batch":
        shift = proj.max()
    else:
        raise ValueError(f"key_stabiliser must be 'cell', 'batch' or 'head', "
                         f"not {key_stabiliser!r}")
    # The shift only guards exp against overflow; no gradient through it (as performer-pytorch).
    return (torch.exp(proj - half_sq_norm - shift.detach()) + eps) * projection.shape[0] ** -0.5


def linear_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Non-causal linear attention on features ``q``, ``k`` (... x n x m) and values ``v``."""
    context = k.transpose(-2, -1) @ v                               # ... x m x e, linear in n
    denominator = q @ k.sum(-2).unsqueeze(-1)                        # ... x n x 1
    return (q @ context) / denominator


# ---------------------------------------------------------------------------------- modules


class FastAttention(nn.Module):
    """FAVOR+ attention with a fixed projection matrix (``projection_matrix`` buffer)."""

    def __init__(self, dim_head: int, nb_features: int | None = None,
                 key_stabiliser: KeyStabiliser = "cell", eps: float = 1e-4) -> None:
        super().__init__()
        nb_features = nb_features or int(dim_head * math.log(dim_head))
        self.key_stabiliser = key_stabiliser
        self.eps = eps
        # Never redrawn: a loaded checkpoint's features must stay those it was trained with.
        self.register_buffer("projection_matrix", orthogonal_random_features(nb_features, dim_head))

    def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        q = favor_features(q, self.projection_matrix, is_query=True, eps=self.eps)
        k = favor_features(k, self.projection_matrix, is_query=False,
                           key_stabiliser=self.key_stabiliser, eps=self.eps)
        return linear_attention(q, k, v)


class SelfAttention(nn.Module):
    """Multi-head FAVOR+ self-attention (``to_q``, ``to_k``, ``to_v``, ``to_out``)."""

    def __init__(self, dim: int, heads: int, dim_head: int, nb_features: int | None,
                 qkv_bias: bool, attn_out_bias: bool, dropout: float,
                 key_stabiliser: KeyStabiliser, eps: float) -> None:
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.fast_attention = FastAttention(dim_head, nb_features, key_stabiliser, eps)
        self.to_q = nn.Linear(dim, inner, bias=qkv_bias)
        self.to_k = nn.Linear(dim, inner, bias=qkv_bias)
        self.to_v = nn.Linear(dim, inner, bias=qkv_bias)
        self.to_out = nn.Linear(inner, dim, bias=attn_out_bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        q, k, v = (lin(x).view(b, n, self.heads, -1).transpose(1, 2)
                   for lin in (self.to_q, self.to_k, self.to_v))
        out = self.fast_attention(q, k, v).transpose(1, 2).reshape(b, n, -1)
        return self.dropout(self.to_out(out))


class FeedForward(nn.Module):
    """``w2(dropout(GELU(w1(x))))``."""

    def __init__(self, dim: int, mult: int, dropout: float) -> None:
        super().__init__()
        self.w1 = nn.Linear(dim, dim * mult)
        self.w2 = nn.Linear(dim * mult, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(self.dropout(F.gelu(self.w1(x))))


class Chunk(nn.Module):
    """Applies ``fn`` to ``chunks`` slices along the genes (bounds the feed-forward memory)."""

    def __init__(self, chunks: int, fn: nn.Module) -> None:
        super().__init__()
        self.chunks = chunks
        self.fn = fn

    def forward(self, x: Tensor) -> Tensor:
        if self.chunks == 1:
            return self.fn(x)
        return torch.cat([self.fn(c) for c in x.chunk(self.chunks, dim=1)], dim=1)


class PreLayerNorm(nn.Module):
    """``fn(LayerNorm(x))``; the residual is added by the caller."""

    def __init__(self, dim: int, fn: nn.Module) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(self.norm(x))


class _Sequential(nn.Module):
    """``layers[i] = [attention, feed-forward]`` residual blocks (a SequentialSequence)."""

    def __init__(self, layers: nn.ModuleList) -> None:
        super().__init__()
        self.layers = layers

    def forward(self, x: Tensor) -> Tensor:
        for attn, ff in self.layers:
            x = x + attn(x)
            x = x + ff(x)
        return x


class _Performer(nn.Module):
    def __init__(self, net: _Sequential) -> None:
        super().__init__()
        self.net = net
        # Kept only so that scBERT's state-dict layout round-trips (scBERT's Performer has it).
        self.register_buffer("calls_since_last_redraw", torch.tensor(0))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class _PositionTable(nn.Module):
    def __init__(self, max_seq_len: int, dim: int) -> None:
        super().__init__()
        self.emb = nn.Embedding(max_seq_len, dim)


class ScBertEncoder(nn.Module):
    """scBERT's ``PerformerLM`` (non-causal, no local heads, layer norm) with its parameter names.

    ``position_table`` (optional, ``max_seq_len`` or ``max_seq_len - 1`` rows of ``dim``) fills
    ``pos_emb.emb.weight`` (gene2vec in scBERT; with one row short a zero row is appended, as
    scBERT does for its extra last position); otherwise it starts random and is expected to be
    overwritten by a checkpoint. It is frozen unless ``freeze_position=False``.
    ``with_head=False`` drops ``to_out`` (encodings only, e.g. for a fine-tuned checkpoint whose
    classifier head is not a ``Linear(dim, num_tokens)``).
    """

    def __init__(self, num_tokens: int = 7, dim: int = 200, depth: int = 6, heads: int = 10,
                 dim_head: int = 64, max_seq_len: int = 16_907, nb_features: int | None = None,
                 ff_mult: int = 4, *, ff_chunks: int = 1, qkv_bias: bool = False,
                 attn_out_bias: bool = True, g2v_position_emb: bool = True,
                 position_table: np.ndarray | Tensor | None = None, freeze_position: bool = True,
                 with_head: bool = True, key_stabiliser: KeyStabiliser = "cell",
                 eps: float = 1e-4, emb_dropout: float = 0.0, ff_dropout: float = 0.0,
                 attn_dropout: float = 0.0) -> None:
        super().__init__()
        if key_stabiliser not in ("cell", "batch", "head"):
            raise ValueError(f"key_stabiliser must be 'cell', 'batch' or 'head', "
                             f"not {key_stabiliser!r}")
        nb_features = nb_features or int(dim_head * math.log(dim_head))
        self.config: dict[str, Any] = dict(
            num_tokens=num_tokens, dim=dim, depth=depth, heads=heads, dim_head=dim_head,
            max_seq_len=max_seq_len, nb_features=nb_features, ff_mult=ff_mult,
            ff_chunks=ff_chunks, qkv_bias=qkv_bias, attn_out_bias=attn_out_bias,
            g2v_position_emb=g2v_position_emb, with_head=with_head,
            key_stabiliser=key_stabiliser, eps=eps)
        self.num_tokens, self.max_seq_len = num_tokens, max_seq_len
        self.token_emb = nn.Embedding(num_tokens, dim)
        self.pos_emb = _PositionTable(max_seq_len, dim) if g2v_position_emb else None
        if self.pos_emb is not None:
            if position_table is not None:
                self.set_position_table(position_table)
            self.pos_emb.emb.weight.requires_grad_(not freeze_position)
        self.dropout = nn.Dropout(emb_dropout)
        layers = nn.ModuleList(
            nn.ModuleList([
                PreLayerNorm(dim, SelfAttention(dim, heads, dim_head, nb_features, qkv_bias,
                                                attn_out_bias, attn_dropout, key_stabiliser,
                                                eps)),
                PreLayerNorm(dim, Chunk(ff_chunks, FeedForward(dim, ff_mult, ff_dropout))),
            ]) for _ in range(depth))
        self.performer = _Performer(_Sequential(layers))
        self.norm = nn.LayerNorm(dim)
        self.to_out = nn.Linear(dim, num_tokens) if with_head else None

    @torch.no_grad()
    def set_position_table(self, table: np.ndarray | Tensor) -> None:
        """Copy a (gene2vec-like) table into ``pos_emb.emb.weight``."""
        if self.pos_emb is None:
            raise ValueError("this model has no positional table (g2v_position_emb=False)")
        weight = self.pos_emb.emb.weight
        table = torch.as_tensor(np.asarray(table) if not isinstance(table, Tensor) else table)
        if table.ndim == 2 and table.shape[0] == weight.shape[0] - 1:
            table = torch.cat([table, table.new_zeros(1, table.shape[1])])  # as scBERT does
        if tuple(table.shape) != tuple(weight.shape):
            raise ValueError(f"position table has shape {tuple(table.shape)}, expected "
                             f"{tuple(weight.shape)} (or {weight.shape[0] - 1} rows)")
        weight.copy_(table)

    def forward(self, tokens: Tensor, return_encodings: bool = False,
                gene_index: Tensor | None = None) -> Tensor:
        """Encodings (cells x genes x dim) or logits (cells x genes x num_tokens).

        ``gene_index`` (length genes) picks the positional rows; default ``arange(genes)``, as
        scBERT, whose positions are the genes in checkpoint order. Feeding a subset of genes
        with their ``gene_index`` is cheaper but not what scBERT was trained on (it always saw
        all 16,906 genes, those absent from a dataset as token 0).
        """
        _, n = tokens.shape
        if n > self.max_seq_len:
            raise ValueError(f"sequence length {n} exceeds max_seq_len {self.max_seq_len}")
        if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= self.num_tokens):
            raise ValueError(f"tokens must lie in [0, {self.num_tokens}), got "
                             f"[{int(tokens.min())}, {int(tokens.max())}]")
        x = self.token_emb(tokens)
        if self.pos_emb is not None:
            positions = (torch.arange(n, device=tokens.device) if gene_index is None
                         else torch.as_tensor(gene_index, device=tokens.device))
            x = x + self.pos_emb.emb(positions).to(x.dtype)
        x = self.norm(self.performer(self.dropout(x)))
        if return_encodings:
            return x
        if self.to_out is None:
            raise ValueError("this model has no to_out head; use return_encodings=True")
        return self.to_out(x)

    def encode_cells(self, tokens: Tensor | np.ndarray, batch_size: int = 4,
                     **kwargs: Any) -> Tensor:
        """:func:`encode_cells` with this model."""
        return encode_cells(self, tokens, batch_size, **kwargs)


# ---------------------------------------------------------------------------------- encoding


def iter_encodings(model: ScBertEncoder, tokens: Tensor | np.ndarray, batch_size: int = 4, *,
                   return_encodings: bool = True, gene_index: Tensor | None = None,
                   device: torch.device | str | None = None) -> Iterator[Tensor]:
    """Yield encodings (or logits) of ``batch_size`` cells at a time, without gradients, on CPU.

    Peak memory is that of one chunk (at scBERT's size roughly 1 GB per cell for the
    10 x 16,907 x 266 FAVOR+ features), so large datasets stream into e.g. a pooling layer.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    tokens = torch.as_tensor(tokens, dtype=torch.long)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    with torch.no_grad():
        for start in range(0, tokens.shape[0], batch_size):
            chunk = tokens[start:start + batch_size].to(device)
            yield model(chunk, return_encodings=return_encodings, gene_index=gene_index).cpu()


def encode_cells(model: ScBertEncoder, tokens: Tensor | np.ndarray, batch_size: int = 4,
                 **kwargs: Any) -> Tensor:
    """All cells' encodings (cells x genes x dim), computed ``batch_size`` cells at a time.

    With ``key_stabiliser="cell"`` (default) a cell's output does not depend on its batch, so
    the result equals ``model(tokens)`` up to float rounding. Mind the output size: at scBERT's
    size one cell is 16,907 x 200 floats (13.5 MB); use :func:`iter_encodings` to stream.
    """
    chunks = list(iter_encodings(model, tokens, batch_size, **kwargs))
    if not chunks:
        raise ValueError("no cells to encode")
    return torch.cat(chunks)


# ---------------------------------------------------------------------------------- checkpoints

_LAYER = "performer.net.layers."
_ALIAS = "performer.proj_updater.instance."


def _state_dict_of(checkpoint: Mapping[str, Any]) -> dict[str, Tensor]:
    sd = checkpoint.get("model_state_dict", checkpoint)
    if not isinstance(sd, Mapping):
        raise DglgeneInputError("checkpoint['model_state_dict'] is not a state dict; give "
                                "an scBERT checkpoint ({'model_state_dict': {name: tensor}})")
    sd = {k: v for k, v in sd.items() if isinstance(v, Tensor)}
    if sd and all(k.startswith("module.") for k in sd):  # saved from a DDP wrapper
        sd = {k.removeprefix("module."): v for k, v in sd.items()}
    if _REDRAW_KEY_PYPI in sd:
        sd[_REDRAW_KEY] = sd.pop(_REDRAW_KEY_PYPI)
    # performer-pytorch 1.x registers performer.net a second time as proj_updater.instance,
    # so its state dicts repeat every layer tensor (shared storage) under that prefix.
    sd = {k: v for k, v in sd.items() if not k.startswith(_ALIAS)}
    if any(k.startswith("performer.net.blocks.") for k in sd):
        raise DglgeneInputError("reversible=True checkpoints (performer.net.blocks.*) are not "
                                "supported; scBERT uses reversible=False")
    if "token_emb.weight" not in sd:
        raise DglgeneInputError("not a PerformerLM state dict: no 'token_emb.weight' key; "
                                "give an scBERT (PerformerLM) checkpoint")
    return sd


def _infer_config(sd: Mapping[str, Tensor]) -> dict[str, Any]:
    num_tokens, dim = sd["token_emb.weight"].shape
    layer_ids = {int(k[len(_LAYER):].split(".", 1)[0]) for k in sd if k.startswith(_LAYER)}
    config: dict[str, Any] = dict(num_tokens=num_tokens, dim=dim,
                                  depth=max(layer_ids) + 1 if layer_ids else 0,
                                  g2v_position_emb="pos_emb.emb.weight" in sd,
                                  with_head=any(k.startswith("to_out.") for k in sd))
    if "pos_emb.emb.weight" in sd:
        config["max_seq_len"] = sd["pos_emb.emb.weight"].shape[0]
    attn = _LAYER + "0.0.fn."
    if attn + "fast_attention.projection_matrix" in sd:
        nb_features, dim_head = sd[attn + "fast_attention.projection_matrix"].shape
        config.update(nb_features=nb_features, dim_head=dim_head)
        if attn + "to_q.weight" in sd:
            config["heads"] = sd[attn + "to_q.weight"].shape[0] // dim_head
    config["qkv_bias"] = attn + "to_q.bias" in sd
    config["attn_out_bias"] = attn + "to_out.bias" in sd
    w1 = _LAYER + "0.1.fn.fn.w1.weight"
    if w1 in sd:
        config["ff_mult"] = max(1, sd[w1].shape[0] // dim)
    return config


def _torch_load(path: str | os.PathLike, map_location: str | torch.device) -> Any:
    try:  # weights_only: a checkpoint file is data, not code to run
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DglgeneInputError(f"cannot load {os.fspath(path)!r} with weights_only=True "
                                f"({first}); if you trust it, torch.load it yourself and pass "
                                "the dict") from None


def load_scbert_checkpoint(checkpoint: str | os.PathLike | Mapping[str, Any], *,
                           map_location: str | torch.device = "cpu",
                           **config: Any) -> ScBertEncoder:
    """An :class:`ScBertEncoder` (eval mode) with the weights of an scBERT checkpoint.

    ``checkpoint``: a path to a ``torch.save`` file or the loaded object, either
    ``{"model_state_dict": ...}`` (scBERT's format; other entries are ignored) or the state
    dict itself. Sizes, depth, heads and biases are read from the keys; ``config`` overrides
    them and sets the rest (``key_stabiliser``, ``ff_chunks``, dropout ...). A fine-tuned
    scBERT checkpoint has a classifier in ``to_out.*``: pass ``with_head=False`` to load the
    encoder and ignore it. Raises a one-line ``ValueError`` naming the first missing,
    unexpected or wrongly shaped key.
    """
    if not isinstance(checkpoint, Mapping):
        checkpoint = _torch_load(checkpoint, map_location)
    sd = _state_dict_of(checkpoint)
    stored = checkpoint.get("config") if isinstance(checkpoint.get("config"), Mapping) else {}
    settings = {**stored, **_infer_config(sd), **config}
    if not settings["with_head"]:
        sd = {k: v for k, v in sd.items() if not k.startswith("to_out.")}
    elif "to_out.weight" not in sd and any(k.startswith("to_out.") for k in sd):
        first = next(k for k in sd if k.startswith("to_out."))
        raise DglgeneInputError(f"checkpoint head {first!r} is not a Linear(dim, num_tokens) "
                                "(fine-tuned classifier?); pass with_head=False to load the "
                                "encoder")
    try:
        model = ScBertEncoder(**settings)
    except TypeError as err:
        raise DglgeneInputError(f"bad configuration for ScBertEncoder: {err}") from None
    expected = model.state_dict()
    sd.setdefault(_REDRAW_KEY, expected[_REDRAW_KEY])  # bookkeeping only; may be absent
    missing = [k for k in expected if k not in sd]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise DglgeneInputError(f"checkpoint is missing key {missing[0]!r}{more}; it is not a "
                                "complete scBERT-style encoder checkpoint")
    unexpected = [k for k in sd if k not in expected]
    if unexpected:
        more = f" (and {len(unexpected) - 1} more)" if len(unexpected) > 1 else ""
        raise DglgeneInputError(f"checkpoint has unexpected key {unexpected[0]!r}{more}; "
                                "it is not an scBERT-style encoder checkpoint")
    for key, value in expected.items():
        if value.shape != sd[key].shape:
            raise DglgeneInputError(f"checkpoint key {key!r} has shape {tuple(sd[key].shape)}, "
                                    f"the model expects {tuple(value.shape)}; the checkpoint "
                                    "is damaged or of another architecture")
    # copy_ casts, e.g. scBERT's float64 gene2vec table into float32.
    model.load_state_dict(sd)
    return model.eval()


def save_scbert_checkpoint(model: ScBertEncoder, path: str | os.PathLike,
                           genes: Sequence[str] | None = None) -> None:
    """Write ``{"model_state_dict": ..., "config": ..., "genes": ...}``, loadable by scBERT.

    The keys are scBERT's (``performer.calls_since_last_redraw`` included); performer-pytorch
    1.x names that buffer ``performer.proj_updater.calls_since_last_redraw`` instead.
    ``genes`` (optional) is the gene of each position in order, so that a dataset can be
    matched to the checkpoint later (:func:`checkpoint_genes`,
    :func:`~dglgene.nn.scbert_tokens.match_genes`); scBERT
    ignores extra keys. At most ``max_seq_len`` genes (one fewer leaves scBERT's end token).
    The file is written to a temporary name and renamed, so a failed write leaves no
    truncated checkpoint behind.
    """
    checkpoint: dict[str, Any] = {"model_state_dict": model.state_dict(),
                                  "config": dict(model.config)}
    if genes is not None:
        genes = [str(g) for g in genes]
        if len(genes) > model.max_seq_len:
            raise ValueError(f"{len(genes)} genes but the model has only {model.max_seq_len} "
                             "positions (max_seq_len)")
        if len(set(genes)) != len(genes):
            raise ValueError("genes must be unique: each names one position of the model")
        checkpoint["genes"] = genes
    with atomic_path(path) as tmp:
        torch.save(checkpoint, tmp)


def checkpoint_genes(checkpoint: str | os.PathLike | Mapping[str, Any]) -> list[str] | None:
    """The gene order stored by :func:`save_scbert_checkpoint`, or ``None`` if there is none.

    scBERT's own checkpoints hold no genes: their order is that of its gene2vec panel
    (16,906 genes), which ships apart from the weights.
    """
    if not isinstance(checkpoint, Mapping):
        checkpoint = _torch_load(checkpoint, "cpu")
    genes = checkpoint.get("genes")
    if genes is None:
        return None
    if isinstance(genes, (str, bytes)) or not isinstance(genes, Sequence):
        raise DglgeneInputError(f"checkpoint['genes'] must be a list of gene names, "
                                f"not {type(genes).__name__}")
    return [str(g) for g in genes]
