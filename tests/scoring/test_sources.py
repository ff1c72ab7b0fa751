"""open_source: chunks of .npy (memory-mapped), FITS (by section) and HDF5 files, with IDs."""

from __future__ import annotations

import numpy as np
import pytest

from skbia.scoring import SourceOptions, open_source


@pytest.fixture
def cube():
    rng = np.random.default_rng(1)
    return rng.normal(size=(12, 8, 8, 3)).astype(np.float32)


def test_npy_is_memory_mapped_and_read_by_chunk(tmp_path, cube):
    np.save(tmp_path / "x.npy", cube)
    with open_source(tmp_path / "x.npy") as source:
        # opened memory-mapped, read with positioned reads (see _NpyReader)
        assert isinstance(getattr(source._data, "_mapped", source._data), np.memmap)
        assert (source.n_images, source.image_shape, source.has_ids) == (12, (8, 8, 3), False)
        chunk = source.read(4, 9)
        assert not isinstance(chunk, np.memmap) and chunk.flags.writeable
        np.testing.assert_array_equal(chunk, cube[4:9])


def test_channels_first_and_single_band_stacks_come_back_channels_last(tmp_path, cube):
    np.save(tmp_path / "cf.npy", np.moveaxis(cube, -1, 1))
    with open_source(tmp_path / "cf.npy", SourceOptions(channels_first=True)) as source:
        assert source.image_shape == (8, 8, 3)
        np.testing.assert_array_equal(source.read(0, 12), cube)
    np.save(tmp_path / "one.npy", cube[..., 0])
    with open_source(tmp_path / "one.npy") as source:
        assert source.read(2, 3).shape == (1, 8, 8, 1)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty or truncated"),
        (b"\x93NUMPY not really", "Cannot read the image file"),
    ],
)
def test_unreadable_npy_files_name_the_file(tmp_path, content, match):
    (tmp_path / "bad.npy").write_bytes(content)
    with pytest.raises(ValueError, match=match):
        open_source(tmp_path / "bad.npy")


def test_a_truncated_npy_file_is_refused_at_open(tmp_path, cube):
    np.save(tmp_path / "x.npy", cube)
    data = (tmp_path / "x.npy").read_bytes()
    (tmp_path / "x.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="x.npy"):
        open_source(tmp_path / "x.npy")


def test_fits_cube_by_section_with_an_id_column(tmp_path, cube):
    fits = pytest.importorskip("astropy.io.fits")
    ids = np.arange(100, 112)
    table = fits.BinTableHDU.from_columns([fits.Column(name="OBJID", format="K", array=ids)])
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(cube.astype(">f4"), name="CUTOUTS"),
                  table]).writeto(tmp_path / "x.fits")
    options = SourceOptions(id_column="OBJID")
    with open_source(tmp_path / "x.fits", options) as source:
        assert (source.n_images, source.image_shape, source.has_ids) == (12, (8, 8, 3), True)
        np.testing.assert_array_equal(source.read(3, 7), cube[3:7])
        np.testing.assert_array_equal(source.ids(3, 7), ids[3:7])
    with open_source(tmp_path / "x.fits", SourceOptions(hdu="CUTOUTS")) as source:
        np.testing.assert_array_equal(source.read(0, 2), cube[:2])
    with pytest.raises(ValueError, match="no table column 'RA'"):
        open_source(tmp_path / "x.fits", SourceOptions(id_column="RA"))


def test_hdf5_dataset_with_ids(tmp_path, cube):
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "x.h5", "w") as handle:
        handle["images"] = cube
        handle["other"] = cube[:2]
        handle["ids"] = np.array([f"obj{i}" for i in range(12)], dtype="S")
    with pytest.raises(ValueError, match="2 3-d or 4-d datasets .*--dataset"):
        open_source(tmp_path / "x.h5")
    options = SourceOptions(dataset="images", id_dataset="ids")
    with open_source(tmp_path / "x.h5", options) as source:
        assert (source.n_images, source.image_shape) == (12, (8, 8, 3))
        np.testing.assert_array_equal(source.read(5, 12), cube[5:])
        assert source.ids(10, 12).tolist() == ["obj10", "obj11"]
    with pytest.raises(ValueError, match="no dataset 'cutouts'"):
        open_source(tmp_path / "x.h5", SourceOptions(dataset="cutouts"))


def test_non_image_arrays_are_refused(tmp_path):
    np.save(tmp_path / "labels.npy", np.arange(5))
    with pytest.raises(ValueError, match="must be 3-d"):
        open_source(tmp_path / "labels.npy")
