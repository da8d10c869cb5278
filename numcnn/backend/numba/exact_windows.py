"""Two guarantees of an exact-order convolution that Winograd's arithmetic breaks, restored after it.

A convolution summed term by term (direct loops, im2col + GEMM) computes each output from its window's values
alone, in one fixed order. So it keeps two properties that ReLU and max-pooling rely on, and that real images
exercise all the time:

1. a window of zeros gives exactly the bias (every product is an exact 0), and ReLU keeps or drops the output
   exactly as the bias says;
2. equal windows give equal outputs, bit for bit, so a max-pool over them ties and the first maximum wins:
   a background, a saturated stroke, the repeated rows along a straight pen line.

Winograd's tile transforms mix each output with the other pixels of its 6×6 tile, whose terms cancel only up
to rounding: a window of zeros comes out as ±1e-17 instead of 0, and equal windows differ in their last bits.
Both flip selections that the exact convolution makes and move whole gradients: about 40 % of the second
convolution's windows on MNIST hold only zeros, and on real digits the ties broken along strokes moved an
upstream layer's gradient by 1.4 %.

So after the products, per image: ``window_groups`` numbers the distinct pixels (a pixel hash, then an exact
comparison with the first pixel of that hash) and then the distinct windows (by their pixels' numbers, exactly),
(a pixel whose bits no other pixel has, which a counting sketch of hashes finds without any table, is its own
number, and a window holding one is its own group: on random data that is nearly every window, so the pass
costs about as much as Winograd's input transform, where hashing every pixel and window cost three times
as much: benchmarks/README.md), and ``restore_exact_windows``
writes the bias into the outputs of empty windows and copies into every other
window's output the output of the first window equal to it. Equality is exact; hashes only find candidates.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn.backend.numba._scalars import ZERO, bias_relu

EMPTY = -1  # the group of windows of zeros (padding counts as zeros)
_ONE = np.uint64(1)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
# Odd multipliers, one per channel (pixel hashes) and one per window offset (window keys), from a fixed draw.
_MULTIPLIERS = np.random.default_rng(0x5EED).integers(1, 2**63, size=4096, dtype=np.uint64) | np.uint64(1)
_OFFSET_MUL = np.random.default_rng(0xF00D).integers(1, 2**63, size=64 * 64, dtype=np.uint64) | np.uint64(1)


@njit(nogil=True, cache=True, inline="always")
def _mix(z):
    """splitmix64's finaliser: every input bit affects every output bit."""
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


def value_bits(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x (C-contiguous, float32 or float64) viewed as unsigned integers of its width, and odd multipliers of
    that width for the per-channel hash: pixels are equal when their bits are (integer arithmetic in the
    values' own width vectorises), and a NaN equals the same NaN."""
    unsigned = np.uint32 if x.dtype == np.float32 else np.uint64
    if x.shape[-1] > _MULTIPLIERS.size:
        raise ValueError(f"exact_windows hashes at most {_MULTIPLIERS.size} channels, got {x.shape[-1]}")
    return x.view(unsigned), _MULTIPLIERS[: x.shape[-1]].astype(unsigned)


@njit(nogil=True, cache=True, inline="always")
def _slot(key, table_key, table_at):
    """The slot of ``key`` in an open-addressing table (size a power of two; ``table_at`` -1 marks free)."""
    mask = np.uint64(table_key.size - 1)
    slot = key & mask
    while table_at[slot] >= 0 and table_key[slot] != key:
        slot = (slot + _ONE) & mask
    return slot


@njit(nogil=True, cache=True)
def _pixel_ids(bits, multipliers, n, table_key, table_at, counts, keys, zero, same_left, repeated, prefix, ids):
    """ids (H·W) int32 for image n: 0 for a pixel of zeros (-0.0 counts), else 1 + the flat index of the first
    pixel with the same bits, so that pixels are equal exactly when their numbers are; and ``prefix`` (H, W+1):
    per row, how many pixels before each column are unique (no other pixel of the image has their bits).

    A first pass without branches finds the zero pixels, those equal to their left neighbour (images repeat
    locally) and a hash of every pixel, counted in ``counts`` (a sketch, saturating at 2). A pixel alone in its
    count is unique: its number is its own, with no table and no comparison (on random data, almost every
    pixel). Any other pixel is compared with its left and upper neighbours, and failing that looked up in an
    exact table by its hash and compared with the pixel found."""
    _, h_n, w_n, c_n = bits.shape
    img = bits.reshape(bits.shape[0], h_n * w_n * c_n)[n]
    mask = np.uint64(counts.size - 1)
    counts[:] = 0
    for p in range(h_n * w_n):
        base = p * c_n
        prev = base - c_n if p % w_n else base
        magnitude = img[base] ^ img[base]
        differ = magnitude
        acc = magnitude
        for c in range(c_n):
            v = img[base + c]
            magnitude |= v + v  # drops the sign bit: -0.0 and 0.0 are both zeros
            differ |= v ^ img[prev + c]
            acc += v * multipliers[c]  # independent products in the values' width
        zero[p] = magnitude == 0
        same_left[p] = p % w_n != 0 and differ == 0
        repeated[p] = False
        if same_left[p]:
            repeated[p - 1] = True  # a run: neither it nor its start is unique (no need to count it)
        elif magnitude != 0:
            key = _mix(np.uint64(acc)) | _ONE
            keys[p] = key
            slot = key & mask
            counts[slot] = min(counts[slot] + 1, 2)
    table_at[:] = -1
    for h in range(h_n):
        prefix[h, 0] = 0
        for w in range(w_n):
            p = h * w_n + w
            unique = 0
            if zero[p]:
                ids[p] = 0
            elif not same_left[p] and not repeated[p] and counts[keys[p] & mask] == 1:
                ids[p] = p + 1
                unique = 1
            elif same_left[p]:
                ids[p] = ids[p - 1]
            elif p >= w_n and ids[p - w_n] != 0 and _differ_at(img, p * c_n, (p - w_n) * c_n, c_n) == 0:
                ids[p] = ids[p - w_n]
            else:
                ids[p] = _hashed_id(img, p, c_n, keys[p], table_key, table_at)  # not same_left: it has a key
            prefix[h, w + 1] = prefix[h, w] + unique


@njit(nogil=True, cache=True, inline="always")
def _differ_at(img, a, b, c_n):
    """Non-zero when the pixels at flat offsets a and b of img differ in any bit."""
    differ = img[a] ^ img[a]
    for c in range(c_n):
        differ |= img[a + c] ^ img[b + c]
    return differ


@njit(nogil=True, cache=True)
def _hashed_id(img, p, c_n, key, table_key, table_at):
    """1 + the flat index of the first pixel with pixel p's bits (hash ``key``), found through the hash table
    (and entered)."""
    base = p * c_n
    while True:
        slot = _slot(key, table_key, table_at)
        first = table_at[slot]
        if first < 0:
            table_key[slot], table_at[slot] = key, p
            return p + 1
        if _differ_at(img, base, first * c_n, c_n) == 0:
            return first + 1
        key = _mix(key + _ONE) | _ONE  # a collision: probe under the next key


@njit(nogil=True, cache=True)
def window_groups(bits, multipliers, kh, kw, top, left, groups):
    """groups (n, OH, OW) int32 of the kh×kw stride-1 windows over the input (``value_bits``: its bits
    (n, H, W, C) and the hash multipliers):
    ``EMPTY`` for a window of zeros, else the flat output index of the first window equal to it (itself if
    none comes before). Padding counts as zeros.

    A window that holds a unique pixel (``_pixel_ids``) equals no other window, which would hold that pixel's
    bits at the same offset elsewhere: it is its own group, found from per-row counts of unique pixels (kh
    checks; on random data, every window). A window inside the image equals the one to its left when each of
    its rows ends a run of ``kw`` pixels equal to their left neighbours, and the one above likewise with runs
    down its columns: kh + kw checks of precomputed run lengths. Other windows are looked up by a hash of
    their pixels' numbers, and compared."""
    n_img, h_n, w_n, _ = bits.shape
    _, out_h, out_w = groups.shape
    size = 1
    while size < 2 * max(h_n * w_n, out_h * out_w):
        size *= 2
    table_key = np.empty(size, dtype=np.uint64)
    table_at = np.empty(size, dtype=np.int64)
    ids = np.empty(h_n * w_n, dtype=np.int32)
    counts = np.empty(8 * size, dtype=np.uint8)  # ≥ 16 slots a pixel: few unique pixels share one
    keys = np.empty(h_n * w_n, dtype=np.uint64)
    prefix = np.empty((h_n, w_n + 1), dtype=np.int32)
    zero = np.empty(h_n * w_n, dtype=np.bool_)
    repeated = np.empty(h_n * w_n, dtype=np.bool_)
    same_left = np.empty(h_n * w_n, dtype=np.bool_)
    run_left = np.empty((h_n, w_n), dtype=np.int32)  # pixels ending here that equal their left neighbour, + 1
    run_up = np.empty((h_n, w_n), dtype=np.int32)
    flat_groups = groups.reshape(n_img, out_h * out_w)
    for n in range(n_img):
        _pixel_ids(bits, multipliers, n, table_key, table_at, counts, keys, zero, same_left, repeated, prefix, ids)
        for h in range(h_n):
            for w in range(w_n):
                p = h * w_n + w
                run_left[h, w] = run_left[h, w - 1] + 1 if w > 0 and ids[p] == ids[p - 1] else 1
                run_up[h, w] = run_up[h - 1, w] + 1 if h > 0 and ids[p] == ids[p - w_n] else 1
        table_at[:] = -1
        for q in range(out_h * out_w):
            oh, ow = q // out_w, q % out_w
            h0, w0 = oh - top, ow - left
            inside = h0 >= 0 and w0 >= 0 and h0 + kh <= h_n and w0 + kw <= w_n
            w_lo, w_hi = max(w0, 0), min(w0 + kw, w_n)
            unique = 0
            if w_lo < w_hi:
                for h in range(max(h0, 0), min(h0 + kh, h_n)):
                    unique += prefix[h, w_hi] - prefix[h, w_lo]
            if unique:
                flat_groups[n, q] = q
                continue
            if inside and ow > 0:  # equal to the window on the left?
                same = w0 > 0
                for i in range(kh):
                    same = same and run_left[h0 + i, w0 + kw - 1] > kw
                if same:
                    flat_groups[n, q] = flat_groups[n, q - 1]
                    continue
            if inside and oh > 0:  # equal to the window above?
                same = h0 > 0
                for j in range(kw):
                    same = same and run_up[h0 + kh - 1, w0 + j] > kh
                if same:
                    flat_groups[n, q] = flat_groups[n, q - out_w]
                    continue
            key = np.uint64(0)
            any_set = 0
            for i in range(kh):
                h = h0 + i
                for j in range(kw):
                    w = w0 + j
                    v = ids[h * w_n + w] if (inside or (0 <= h < h_n and 0 <= w < w_n)) else 0
                    any_set |= v
                    key += np.uint64(v) * _OFFSET_MUL[i * kw + j]
            if any_set == 0:
                flat_groups[n, q] = EMPTY
                continue
            key = _mix(key) | _ONE
            while True:
                slot = _slot(key, table_key, table_at)
                first = table_at[slot]
                if first < 0:
                    table_key[slot], table_at[slot] = key, q
                    flat_groups[n, q] = q
                    break
                if _same_window(ids, oh, ow, first // out_w, first % out_w, kh, kw, top, left, h_n, w_n):
                    flat_groups[n, q] = first
                    break
                key = _mix(key + _ONE) | _ONE


@njit(nogil=True, cache=True, inline="always")
def _same_window(ids, a_h, a_w, b_h, b_w, kh, kw, top, left, h_n, w_n):
    """Whether the windows of outputs (a_h, a_w) and (b_h, b_w) hold the same pixel numbers (0 on padding)."""
    for i in range(kh):
        ha, hb = a_h - top + i, b_h - top + i
        for j in range(kw):
            wa, wb = a_w - left + j, b_w - left + j
            va = ids[ha * w_n + wa] if (0 <= ha < h_n and 0 <= wa < w_n) else 0
            vb = ids[hb * w_n + wb] if (0 <= hb < h_n and 0 <= wb < w_n) else 0
            if va != vb:
                return False
    return True


@njit(nogil=True, cache=True)
def restore_exact_windows(groups, bias, use_bias, relu, zero_is_exact, y):
    """Give the outputs y (n, OH, OW, F) of an inexact convolution the two guarantees: the bias (ReLU'd when
    asked) in empty windows, and in every other window the output of the first window equal to it
    (``window_groups``).

    ``zero_is_exact`` is False when a weight is NaN or inf: an exact sum over zeros is then NaN (0·inf), which
    the method's own products carry, so empty windows keep what they computed.
    """
    n_img, out_h, out_w, f_n = y.shape
    empty = np.empty(f_n, dtype=y.dtype)
    for f in range(f_n):
        empty[f] = bias_relu(ZERO, bias[f], use_bias, relu)
    flat_y = y.reshape(n_img, out_h * out_w, f_n)
    flat_groups = groups.reshape(n_img, out_h * out_w)
    for n in range(n_img):
        for q in range(out_h * out_w):
            first = flat_groups[n, q]
            if first == q:
                continue
            dst = flat_y[n, q]
            if first == EMPTY:
                if zero_is_exact:
                    for f in range(f_n):
                        dst[f] = empty[f]
                continue
            src = flat_y[n, first]
            for f in range(f_n):
                dst[f] = src[f]
