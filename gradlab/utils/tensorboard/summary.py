"""TensorBoard ``Summary`` protocol buffers from tensors and arrays, built as
``torch.utils.tensorboard.summary`` builds them (tensorboard's own protos; the values, bucket
limits and pixels are the same as torch's, checked in tests/test_tensorboard.py).

Images are encoded as PNG here (zlib, no Pillow: filter 0 on every row, one IDAT chunk);
torch's PNG (Pillow) differs in its bytes, not in its pixels.
"""

from __future__ import annotations

import numpy as np

from ..._png import png_bytes
from ...tensor import Tensor

try:
    from google.protobuf import struct_pb2
    from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
    from tensorboard.plugins.hparams import metadata as hp_metadata
    from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData
except ImportError as exc:   # the optional extra is missing: SummaryWriter() says so
    IMPORT_ERROR: ImportError | None = exc
else:
    IMPORT_ERROR = None


def make_np(x, where: str) -> np.ndarray:
    """A NumPy array of a gradlab tensor (its array, no copy), an array or a Python number
    (as a 1-element array, as torch's ``make_np``); anything else raises NotImplementedError."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, Tensor):
        return x.array
    raise NotImplementedError(f"{where}: got {type(x).__name__}, but a NumPy array, a gradlab "
                              "tensor or a number is expected")


# ------------------------------------------------------------------ scalars, text


def scalar(name: str, value, new_style: bool = False, double_precision: bool = False):
    """A one-value summary: ``simple_value`` (float32 in the proto), or with ``new_style`` a
    tensor proto (float, or double with ``double_precision``) for the scalars plugin."""
    arr = make_np(value, "add_scalar").squeeze()
    if arr.ndim != 0:
        raise AssertionError(f"add_scalar: the value should contain one element (0 dimensions), "
                             f"got size {arr.size} and {arr.ndim} dimensions")
    v = float(arr)
    if not new_style:
        return Summary(value=[Summary.Value(tag=name, simple_value=v)])
    proto = (TensorProto(double_val=[v], dtype="DT_DOUBLE") if double_precision
             else TensorProto(float_val=[v], dtype="DT_FLOAT"))
    smd = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=name, tensor=proto, metadata=smd)])


def text(tag: str, string: str):
    """A text-plugin summary under ``tag + '/text_summary'`` (torch's tag)."""
    smd = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="text", content=TextPluginData(version=0).SerializeToString()))
    proto = TensorProto(dtype="DT_STRING", string_val=[string.encode("utf_8")],
                        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=smd, tensor=proto)])


# ------------------------------------------------------------------ histograms


def _tensorflow_bins() -> np.ndarray:
    """TensorBoard's default bucket edges (torch's ``default_bins``): ±1e-12 · 1.1^k below 1e20
    (the products taken one after another, as torch's loop) and 0."""
    pos = np.cumprod(np.r_[1e-12, np.full(800, 1.1)])
    pos = pos[pos < 1e20]
    return np.concatenate([-pos[::-1], [0.0], pos])


TENSORFLOW_BINS = _tensorflow_bins()


def make_histogram(values: np.ndarray, bins, max_bins: int | None = None):
    """A ``HistogramProto`` of ``values`` (any shape, flattened) over ``bins`` (edges, a count
    or a NumPy rule, as ``np.histogram``): at most ``max_bins`` buckets (neighbours summed), the
    empty ones at either end dropped but one left of the first non-empty bucket, since
    TensorBoard stores right edges only (torch's ``make_histogram``)."""
    if values.size == 0:
        raise ValueError("add_histogram: the input has no element")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    num_bins = len(counts)
    if max_bins is not None and num_bins > max_bins:
        sub = num_bins // max_bins
        if num_bins % sub:
            counts = np.pad(counts, [[0, sub - num_bins % sub]])
        counts = counts.reshape(-1, sub).sum(axis=-1)
        limits = np.r_[limits[:-1:sub], limits[-1]]
    cum = np.cumsum(np.greater(counts, 0))
    start, end = np.searchsorted(cum, [0, cum[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("add_histogram: the histogram is empty (are the values finite?)")
    return HistogramProto(min=values.min(), max=values.max(), num=len(values), sum=values.sum(),
                          sum_squares=values.dot(values), bucket_limit=limits.tolist(),
                          bucket=counts.tolist())


def histogram(name: str, values, bins, max_bins: int | None = None):
    """A histogram summary of ``values`` (a tensor or an array, as float64)."""
    hist = make_histogram(make_np(values, "add_histogram").astype(float), bins, max_bins)
    return Summary(value=[Summary.Value(tag=name, histo=hist)])


def histogram_raw(name, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):
    """A histogram summary from its numbers (``bucket_limits`` are right edges)."""
    hist = HistogramProto(min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
                          bucket_limit=bucket_limits, bucket=bucket_counts)
    return Summary(value=[Summary.Value(tag=name, histo=hist)])


# ------------------------------------------------------------------ images


def _grid(nchw: np.ndarray, ncols: int = 8) -> np.ndarray:
    """Images (N, C, H, W), C = 1 (repeated to 3) or 3, tiled row by row into (3, H·rows,
    W·cols), at most ``ncols`` per row, zeros after the last (torch's tensorboard grid)."""
    if nchw.shape[1] == 1:
        nchw = np.concatenate([nchw] * 3, axis=1)
    if nchw.shape[1] != 3:
        raise AssertionError(f"add_images: the images should have 1 or 3 channels, got shape "
                             f"{tuple(nchw.shape)} in NCHW order")
    n, _, h, w = nchw.shape
    cols = min(n, ncols)
    rows = -(-n // cols)
    tiles = np.zeros((rows * cols, 3, h, w), nchw.dtype)
    tiles[:n] = nchw
    return tiles.reshape(rows, cols, 3, h, w).transpose(2, 0, 3, 1, 4).reshape(3, rows * h,
                                                                              cols * w)


def to_hwc(arr: np.ndarray, dataformats: str, where: str) -> np.ndarray:
    """An image array in ``dataformats`` order (NCHW, CHW, HWC, HW and their permutations) as
    (H, W, C) with C = 3 or 4: one channel or none becomes three grey ones, a batch a grid."""
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt):
        raise AssertionError(f"{where}: a dimension letter is used twice in dataformats "
                             f"{dataformats!r}")
    if arr.ndim != len(fmt):
        raise AssertionError(f"{where}: the image has {arr.ndim} dimensions (shape "
                             f"{tuple(arr.shape)}) but dataformats {dataformats!r} names "
                             f"{len(fmt)}")
    if len(fmt) == 4:
        return _grid(arr.transpose([fmt.find(c) for c in "NCHW"])).transpose(1, 2, 0)
    if len(fmt) == 3:
        hwc = arr.transpose([fmt.find(c) for c in "HWC"])
        return np.concatenate([hwc] * 3, axis=2) if hwc.shape[2] == 1 else hwc
    hw = arr.transpose([fmt.find(c) for c in "HW"])
    return np.stack([hw, hw, hw], axis=2)


def image(tag: str, img, dataformats: str, where: str = "add_image"):
    """An image summary: uint8 values kept, any other dtype taken as [0, 1] and scaled by 255,
    clipped to [0, 255] and truncated to bytes (torch's conversion), as a PNG."""
    hwc = to_hwc(make_np(img, where), dataformats, where)
    if hwc.shape[2] not in (3, 4):
        raise AssertionError(f"{where}: an image has 1, 3 or 4 channels, got {hwc.shape[2]} "
                             f"(shape {tuple(hwc.shape)} in HWC order)")
    scale = 1 if hwc.dtype == np.uint8 else 255
    pixels = (hwc.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    h, w, c = pixels.shape
    proto = Summary.Image(height=h, width=w, colorspace=c,
                          encoded_image_string=png_bytes(np.ascontiguousarray(pixels)))
    return Summary(value=[Summary.Value(tag=tag, image=proto)])


# ------------------------------------------------------------------ hyper-parameters


def _plugin_summary(tag: str, **content):
    data = plugin_data_pb2.HParamsPluginData(version=hp_metadata.PLUGIN_DATA_VERSION, **content)
    smd = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name=hp_metadata.PLUGIN_NAME, content=data.SerializeToString()))
    return Summary(value=[Summary.Value(tag=tag, metadata=smd)])


def hparams(hparam_dict: dict, metric_dict: dict, hparam_domain_discrete: dict | None = None):
    """The hparams plugin's three summaries (experiment, session start, session end), as
    torch's: numbers (and, as torch, bools, since they are ints) are float64 hyper-parameters,
    strings are strings, one-element tensors numbers; None values are left out."""
    discrete = hparam_domain_discrete or {}
    if not isinstance(discrete, dict):
        raise TypeError("add_hparams: hparam_domain_discrete should be a dictionary, got "
                        f"{type(discrete).__name__}")
    for k, v in discrete.items():
        if (k not in hparam_dict or not isinstance(v, list)
                or not all(isinstance(d, type(hparam_dict[k])) for d in v)):
            raise TypeError(f"add_hparams: hparam_domain_discrete[{k!r}] should be a list of "
                            f"the type of hparam_dict[{k!r}]")
    ssi = plugin_data_pb2.SessionStartInfo()
    infos = []
    for k, v in hparam_dict.items():
        if v is None:
            continue
        if isinstance(v, Tensor):
            v = float(v.array.reshape(-1)[0])
            discrete_k = None
        elif isinstance(v, (int, float, str)):
            kind = "string_value" if isinstance(v, str) else "number_value"
            discrete_k = (struct_pb2.ListValue(values=[struct_pb2.Value(**{kind: d})
                                                       for d in discrete[k]])
                          if k in discrete else None)
        else:
            raise ValueError(f"add_hparams: hparam_dict[{k!r}] should be an int, float, str, "
                             f"bool or gradlab tensor, got {type(v).__name__}")
        if isinstance(v, str):
            ssi.hparams[k].string_value = v
        else:
            ssi.hparams[k].number_value = v
        dtype = "DATA_TYPE_STRING" if isinstance(v, str) else "DATA_TYPE_FLOAT64"
        infos.append(api_pb2.HParamInfo(name=k, type=api_pb2.DataType.Value(dtype),
                                        domain_discrete=discrete_k))
    exp = api_pb2.Experiment(hparam_infos=infos, metric_infos=[
        api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict])
    sei = plugin_data_pb2.SessionEndInfo(status=api_pb2.Status.Value("STATUS_SUCCESS"))
    return (_plugin_summary(hp_metadata.EXPERIMENT_TAG, experiment=exp),
            _plugin_summary(hp_metadata.SESSION_START_INFO_TAG, session_start_info=ssi),
            _plugin_summary(hp_metadata.SESSION_END_INFO_TAG, session_end_info=sei))
