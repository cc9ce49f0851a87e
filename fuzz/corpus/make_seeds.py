#!/usr/bin/python3
"""Writes the seed corpus of the fuzz harnesses (docs/fuzzing.md): small valid inputs of every
kind each reader accepts, and a few it must refuse, from which libFuzzer mutates. Run from
this folder; the seeds are committed, so this is needed only to change them."""
import os, shutil
import numpy as np
import h5py
import tifffile

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)


def fresh(name):
    d = os.path.join(here, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


# HDF5: Data Exchange, NeXus NXtomo, and files that are neither.
d = fresh("hdf5_layout")
a, r, c = 6, 3, 5
proj = rng.integers(100, 4000, (a, r, c), dtype=np.uint16)
with h5py.File(os.path.join(d, "dx_uint16.h5"), "w", libver="earliest") as f:
    f["implements"] = "exchange"
    f["/exchange/data"] = proj
    f["/exchange/data_white"] = np.full((2, r, c), 4000, np.uint16)
    f["/exchange/data_dark"] = np.full((1, r, c), 100, np.uint16)
    f["/exchange/theta"] = np.linspace(0, 180, a)
with h5py.File(os.path.join(d, "dx_float_chunked.h5"), "w", libver="earliest") as f:
    f.create_dataset("/exchange/data", data=proj.astype(np.float32), chunks=(1, r, c),
                     compression="gzip", shuffle=True)
    f["/exchange/data_white"] = np.full((1, r, c), 4000, np.float32)
    f["/exchange/theta"] = np.linspace(0, np.pi, a)
    f["/measurement/instrument/detector/pixel_size_x"] = 1.3
with h5py.File(os.path.join(d, "nexus_nxtomo.h5"), "w", libver="earliest") as f:
    e = f.create_group("entry")
    e.attrs["NX_class"] = "NXentry"
    e["definition"] = "NXtomo"
    g = e.create_group("data")
    g.attrs["NX_class"] = "NXdata"
    g.attrs["signal"] = "data"
    stack = np.concatenate([np.full((1, r, c), 100, np.uint16), np.full((2, r, c), 4000, np.uint16),
                            proj])
    g["data"] = stack
    g["image_key"] = np.array([2, 1, 1] + [0] * a, np.int32)
    g["rotation_angle"] = np.concatenate([[0, 0, 0], np.linspace(0, 180, a)])
    inst = e.create_group("instrument")
    inst.attrs["NX_class"] = "NXinstrument"
    det = inst.create_group("detector")
    det.attrs["NX_class"] = "NXdetector"
    det["data"] = h5py.SoftLink("/entry/data/data")
    det["image_key"] = h5py.SoftLink("/entry/data/image_key")
with h5py.File(os.path.join(d, "neither.h5"), "w", libver="earliest") as f:
    f["/scan/frames"] = proj
    f["/scan/angles"] = np.linspace(0, 180, a)
with h5py.File(os.path.join(d, "dx_rank2_nan.h5"), "w", libver="earliest") as f:
    f["/exchange/data"] = np.array([[np.nan, 1.0], [np.inf, 2.0]], np.float32)
    f["/exchange/theta"] = np.array([0.0, 90.0])

# TIFF: the sample types and layouts a detector writes, and some the reader must refuse.
d = fresh("tiff")
img = rng.integers(0, 65535, (4, 6), dtype=np.uint16)
tifffile.imwrite(os.path.join(d, "uint16.tif"), img)
tifffile.imwrite(os.path.join(d, "uint16_pages.tif"), np.stack([img, img[::-1]]))
tifffile.imwrite(os.path.join(d, "float32.tif"), img.astype(np.float32) / 7)
tifffile.imwrite(os.path.join(d, "uint16_big_endian.tif"), img, byteorder=">")
tifffile.imwrite(os.path.join(d, "uint8_deflate.tif"), (img >> 8).astype(np.uint8),
                 compression="zlib")
tifffile.imwrite(os.path.join(d, "uint16_tiled.tif"), rng.integers(0, 9, (20, 18), dtype=np.uint16),
                 tile=(16, 16))
tifffile.imwrite(os.path.join(d, "float32_strips.tif"), rng.random((9, 5), dtype=np.float32),
                 rowsperstrip=2)
tifffile.imwrite(os.path.join(d, "bigtiff.tif"), img, bigtiff=True)
tifffile.imwrite(os.path.join(d, "rgb.tif"), rng.integers(0, 255, (3, 4, 3), dtype=np.uint8),
                 photometric="rgb")
tifffile.imwrite(os.path.join(d, "int16.tif"), img.astype(np.int16))

# Angle files: one value per line, as beamlines and users write them.
d = fresh("angles")
seeds = {
    "plain.txt": "0\n0.5\n1\n1.5\n",
    "crlf.txt": "0.0\r\n90.0\r\n180.0\r\n",
    "comment.txt": "# theta, degrees\n0.0\n60.0\n120.0\n",
    "scientific.txt": "0e0\n1.5e-1\n3.0E+0\n-2.5e2\n",
    "blank_tail.txt": "10\n20\n\n\n",
    "radians.txt": "0\n0.7853981633974483\n1.5707963267948966\n3.141592653589793\n",
    "text.txt": "0\nninety\n180\n",
    "nan.txt": "0\nnan\ninf\n-inf\n",
    "columns.txt": "1 0.0\n2 0.5\n3 1.0\n",
}
for name, text in seeds.items():
    open(os.path.join(d, name), "w", newline="").write(text)

# Configs: every shipped config, and a few small ones touching each table.
d = fresh("config")
configs = os.path.join(here, "..", "..", "configs")
for name in sorted(os.listdir(configs)):
    if name.endswith(".toml"):
        shutil.copy(os.path.join(configs, name), os.path.join(d, name))
small = {
    "output.toml": '[output]\nsave-format = "h5"\ndtype = "uint16"\nuint16-range = "0,2.5"\n',
    "recon.toml": "[recon]\nrotation-axis = 1023.5\nnsino-per-chunk = 8\nmax-memory = \"4G\"\n"
                  "binning = 2\nfbp-filter = \"shepp-logan\"\n",
    "preprocess.toml": "[preprocess]\nrings = \"sort\"\nring-snr = 3.0\nzinger-threshold = 0.1\n"
                       "no-zingers = false\n",
    "input.toml": "[input]\nlayout = \"tiff\"\npixel_size_um = 1.3\n"
                  "[input.angles]\nsource = \"range\"\nstart = 0.0\nstop = 180.0\n",
    "unknown_key.toml": "[recon]\nrotation-axiss = 3\n",
    "bad_type.toml": "[recon]\nnsino-per-chunk = \"many\"\n",
}
for name, text in small.items():
    open(os.path.join(d, name), "w").write(text)
