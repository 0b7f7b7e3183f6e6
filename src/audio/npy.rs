//! Minimal reader/writer for NumPy `.npy` files.
//!
//! Format (<https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html>):
//!
//! ```text
//! "\x93NUMPY" | major u8 | minor u8 | header_len (u16 LE for v1, u32 LE for v2/v3)
//! | ASCII dict "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"
//!   padded with spaces and ending in '\n' so that the data starts on a
//!   64-byte boundary
//! | raw little-endian data, C (row-major) order
//! ```
//!
//! Writing always produces version 1.0, little-endian `<f4` or `<f8`, C order.
//! Reading accepts versions 1.0, 2.0 and 3.0 with dtypes `<f4`, `<f8`, `<i2`
//! and `<i4` (all converted to `f64`), C order only, and any number of
//! dimensions (1-D and 2-D are what this crate uses).
//!
//! Why not candle's `Tensor::read_npy` / `Tensor::write_npy` (candle-core 0.11.1,
//! checked against the fixtures in `tests/fixtures/audio/`): it reads the values of
//! the four dtypes identically, but
//!
//! * it does not check the data size against the shape: trailing bytes are silently
//!   ignored, and a truncated file fails with a bare "failed to fill whole buffer";
//! * it rejects format 3.0, and its errors name neither the file nor, for a
//!   big-endian array, the right problem ("little-endian descr >f8");
//! * it accepts dtypes the fixtures' checks must refuse (`|u1`, and `|b1`/`?`, which
//!   it reads as `u8` with the same dtype, so a wrapper could not even name them);
//! * its writer pads the header to 16 bytes and writes shapes as `(3,4,)`, while
//!   `np.save` pads to 64 and writes `(3, 4)`: ours writes byte for byte what
//!   `np.save` writes (checked on the float fixtures), data 64-byte aligned.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Writes `data` as a little-endian float32 `.npy` (format 1.0, C order).
///
/// `shape` must multiply out to `data.len()`; use `&[n]` for 1-D and
/// `&[rows, cols]` for a row-major 2-D array.
pub fn write_npy_f32(path: impl AsRef<Path>, data: &[f32], shape: &[usize]) -> Result<()> {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_npy_raw(path.as_ref(), "<f4", &bytes, data.len(), shape)
}

/// Writes `data` as a little-endian float64 `.npy` (format 1.0, C order).
pub fn write_npy_f64(path: impl AsRef<Path>, data: &[f64], shape: &[usize]) -> Result<()> {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_npy_raw(path.as_ref(), "<f8", &bytes, data.len(), shape)
}

fn write_npy_raw(
    path: &Path,
    descr: &str,
    payload: &[u8],
    n_items: usize,
    shape: &[usize],
) -> Result<()> {
    let expected: usize = shape.iter().product();
    if expected != n_items {
        bail!(
            "writing {}: shape {:?} holds {} items but {} were given",
            path.display(),
            shape,
            expected,
            n_items
        );
    }
    let shape_str = match shape {
        [one] => format!("({one},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_str}, }}");
    // magic(6) + version(2) + header_len(2) + header + '\n' must be a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    let padding = (64 - unpadded % 64) % 64;
    header.push_str(&" ".repeat(padding));
    header.push('\n');
    let header_len = u16::try_from(header.len())
        .with_context(|| format!("writing {}: header too long for npy 1.0", path.display()))?;

    let mut out = Vec::with_capacity(10 + header.len() + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(payload);
    fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

/// Reads a `.npy` file into `(data, shape)`, converting every supported dtype
/// (`<f4`, `<f8`, `<i2`, `<i4`) to `f64`. Data is returned in C order.
///
/// Errors name the file and the problem: bad magic, unsupported version or
/// dtype (including big-endian), Fortran order, malformed header, or a data
/// section whose size does not match the shape (truncated or trailing bytes).
pub fn read_npy(path: impl AsRef<Path>) -> Result<(Vec<f64>, Vec<usize>)> {
    let path = path.as_ref();
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    parse_npy(&bytes).with_context(|| format!("reading {} as .npy", path.display()))
}

/// Parses the bytes of a `.npy` file (see [`read_npy`]).
pub fn parse_npy(bytes: &[u8]) -> Result<(Vec<f64>, Vec<usize>)> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        bail!("bad magic: not a NumPy .npy file (expected \\x93NUMPY)");
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (header_len, header_start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                bail!("truncated header (file is {} bytes)", bytes.len());
            }
            let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            (len as usize, 12)
        }
        _ => bail!("unsupported .npy format version {major}.{minor}"),
    };
    let data_start = header_start + header_len;
    if bytes.len() < data_start {
        bail!(
            "truncated header: needs {} bytes, file has {}",
            data_start,
            bytes.len()
        );
    }
    let header = std::str::from_utf8(&bytes[header_start..data_start])
        .context("header is not valid text")?;
    let descr = dict_value(header, "descr")?;
    let descr = descr.trim().trim_matches(|c| c == '\'' || c == '"');
    let fortran = dict_value(header, "fortran_order")?;
    match fortran.trim() {
        "False" => {}
        "True" => bail!("Fortran-order arrays are not supported (save with C order)"),
        other => bail!("bad fortran_order value {other:?}"),
    }
    let shape = parse_shape(dict_value(header, "shape")?)?;
    let count: usize = shape.iter().product();

    let (item_size, convert): (usize, fn(&[u8]) -> f64) = match descr {
        "<f4" => (4, |b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64),
        "<f8" => (8, |b| {
            f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
        }),
        "<i2" => (2, |b| i16::from_le_bytes([b[0], b[1]]) as f64),
        "<i4" => (4, |b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64),
        other => bail!("unsupported dtype {other:?} (supported: <f4, <f8, <i2, <i4)"),
    };
    let payload = &bytes[data_start..];
    let needed = count * item_size;
    if payload.len() < needed {
        bail!(
            "truncated data: shape {:?} of {} needs {} bytes, found {}",
            shape,
            descr,
            needed,
            payload.len()
        );
    }
    if payload.len() > needed {
        bail!(
            "{} unexpected trailing bytes after the data for shape {:?}",
            payload.len() - needed,
            shape
        );
    }
    let data = payload.chunks_exact(item_size).map(convert).collect();
    Ok((data, shape))
}

/// Returns the raw text of the value stored under `'key'` in the header dict.
/// Values are Python literals; we stop at the comma that ends the entry
/// (commas inside a shape tuple are skipped by tracking parentheses).
fn dict_value<'a>(header: &'a str, key: &str) -> Result<&'a str> {
    let needle_single = format!("'{key}'");
    let needle_double = format!("\"{key}\"");
    let pos = header
        .find(&needle_single)
        .or_else(|| header.find(&needle_double))
        .with_context(|| format!("header has no {key:?} entry: {header:?}"))?;
    let rest = &header[pos + needle_single.len()..];
    let rest = rest
        .trim_start()
        .strip_prefix(':')
        .with_context(|| format!("malformed header near {key:?}"))?;
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' | '}' if depth == 0 => return Ok(&rest[..i]),
            _ => {}
        }
    }
    bail!("malformed header: unterminated {key:?} entry")
}

fn parse_shape(text: &str) -> Result<Vec<usize>> {
    let inner = text
        .trim()
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .with_context(|| format!("bad shape {text:?}"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .with_context(|| format!("bad dimension {s:?} in shape {text:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("h-audio-npy-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn round_trip_f32_2d_and_f64_1d() {
        let p = tmp("a.npy");
        let data: Vec<f32> = (0..12).map(|i| i as f32 * 0.5 - 1.0).collect();
        write_npy_f32(&p, &data, &[3, 4]).unwrap();
        let bytes = fs::read(&p).unwrap();
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0, "data must be 64-byte aligned");
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"));
        let (back, shape) = read_npy(&p).unwrap();
        assert_eq!(shape, vec![3, 4]);
        assert_eq!(back, data.iter().map(|&v| v as f64).collect::<Vec<_>>());

        let p = tmp("b.npy");
        let data = [1.0f64 / 3.0, -2.5, 1e-300];
        write_npy_f64(&p, &data, &[3]).unwrap();
        let header = fs::read(&p).unwrap();
        assert!(String::from_utf8_lossy(&header).contains("'shape': (3,)"));
        let (back, shape) = read_npy(&p).unwrap();
        assert_eq!(shape, vec![3]);
        assert_eq!(back, data);
    }

    #[test]
    fn write_rejects_wrong_shape() {
        let err = write_npy_f32(tmp("c.npy"), &[1.0, 2.0], &[3]).unwrap_err();
        assert!(format!("{err:#}").contains("holds 3 items but 2"));
    }

    /// Builds a v1.0 file with an arbitrary header dict and payload.
    fn raw(dict: &str, payload: &[u8]) -> Vec<u8> {
        let mut h = dict.to_string();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn reads_integer_dtypes() {
        let payload: Vec<u8> = [-3i16, 7].iter().flat_map(|v| v.to_le_bytes()).collect();
        let (d, s) = parse_npy(&raw(
            "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }",
            &payload,
        ))
        .unwrap();
        assert_eq!((d, s), (vec![-3.0, 7.0], vec![2]));
        let payload: Vec<u8> = [-70000i32].iter().flat_map(|v| v.to_le_bytes()).collect();
        let (d, s) = parse_npy(&raw(
            "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1), }",
            &payload,
        ))
        .unwrap();
        assert_eq!((d, s), (vec![-70000.0], vec![1, 1]));
    }

    #[test]
    fn error_cases_name_file_and_problem() {
        let p = tmp("bad_magic.npy");
        fs::write(&p, b"PK\x03\x04 definitely not npy").unwrap();
        let msg = format!("{:#}", read_npy(&p).unwrap_err());
        assert!(
            msg.contains("bad_magic.npy") && msg.contains("bad magic"),
            "{msg}"
        );

        let p = tmp("fortran.npy");
        fs::write(
            &p,
            raw(
                "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }",
                &[0; 4],
            ),
        )
        .unwrap();
        let msg = format!("{:#}", read_npy(&p).unwrap_err());
        assert!(
            msg.contains("fortran.npy") && msg.contains("Fortran"),
            "{msg}"
        );

        let p = tmp("trunc.npy");
        fs::write(
            &p,
            raw(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                &[0; 20],
            ),
        )
        .unwrap();
        let msg = format!("{:#}", read_npy(&p).unwrap_err());
        assert!(
            msg.contains("trunc.npy") && msg.contains("truncated data"),
            "{msg}"
        );

        let big_endian = raw(
            "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
            &[0; 4],
        );
        let msg = format!("{:#}", parse_npy(&big_endian).unwrap_err());
        assert!(msg.contains("unsupported dtype \">f4\""), "{msg}");

        let complex = raw(
            "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
            &[0; 8],
        );
        assert!(parse_npy(&complex).is_err());

        // Header cut off in the middle.
        let mut short = raw(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
            &[0; 4],
        );
        short.truncate(30);
        let msg = format!("{:#}", parse_npy(&short).unwrap_err());
        assert!(msg.contains("truncated header"), "{msg}");

        let msg = format!("{:#}", read_npy(tmp("missing.npy")).unwrap_err());
        assert!(msg.contains("missing.npy"), "{msg}");
    }
}
