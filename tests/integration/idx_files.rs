//! IDX reader and dataset loading: the good files and every bad case the UI and CLI must survive.

use std::io::Write;
use std::path::{Path, PathBuf};

use latent_lab::data::{DataError, Dataset, IdxError};

fn images_bytes(count: u32, rows: u32, cols: u32, pixels: usize) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for v in [count, rows, cols] {
        b.extend(v.to_be_bytes());
    }
    b.extend((0..pixels).map(|i| (i % 256) as u8));
    b
}

fn labels_bytes(labels: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 1];
    b.extend((labels.len() as u32).to_be_bytes());
    b.extend(labels);
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Loads and returns the error text, asserting it names the offending file.
fn load_err(images: &Path, labels: &Path, culprit: &Path) -> (DataError, String) {
    let err = Dataset::load(images, labels).expect_err("the load must fail");
    let text = err.to_string();
    assert!(text.contains(&culprit.display().to_string()), "message must name {}: {text}", culprit.display());
    (err, text)
}

#[test]
fn raw_and_gzip_files_load_with_a_tenth_held_out() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = images_bytes(20, 3, 2, 20 * 6);
    let labs = labels_bytes(&[0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    let raw = Dataset::load(&write(dir.path(), "i.idx", &imgs), &write(dir.path(), "l.idx", &labs)).unwrap();
    let gz = Dataset::load(&write(dir.path(), "i.gz", &gzip(&imgs)), &write(dir.path(), "l.gz", &gzip(&labs))).unwrap();
    for d in [&raw, &gz] {
        assert_eq!((d.len(), d.rows, d.cols, d.classes, d.train_len), (20, 3, 2, 5, 18));
        assert_eq!(d.image(1)[0], 6.0 / 255.0, "pixels are scaled to [0, 1] in row-major order");
    }
    assert_eq!(raw.pixels, gz.pixels);
}

#[test]
fn builtin_mnist_is_the_documented_split() {
    let d = Dataset::builtin_mnist().unwrap();
    assert_eq!((d.len(), d.rows, d.cols, d.classes, d.train_len), (10_000, 28, 28, 10, 9_000));
    let ones = d.labels.iter().filter(|&&l| l == 1).count();
    assert_eq!(ones, 1127, "class counts from PROVENANCE.md");
    assert!(d.pixels.iter().all(|p| (0.0..=1.0).contains(p)));
}

#[test]
fn every_bad_file_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good_i = write(d, "good-images.idx", &images_bytes(4, 2, 2, 16));
    let good_l = write(d, "good-labels.idx", &labels_bytes(&[0, 1, 2, 3]));

    let wrong_magic = write(d, "magic.idx", &labels_bytes(&[0, 1, 2, 3]));
    let (e, t) = load_err(&wrong_magic, &good_l, &wrong_magic);
    assert!(matches!(e, DataError::Idx(IdxError::BadMagic { .. })), "{t}");
    assert!(t.contains("0x00000801") && t.contains("0x00000803"), "{t}");

    let short_header = write(d, "short.idx", &[0, 0, 8, 3, 0, 0]);
    let (e, _) = load_err(&short_header, &good_l, &short_header);
    assert!(matches!(e, DataError::Idx(IdxError::TruncatedHeader { .. })));

    let truncated = write(d, "truncated.idx", &images_bytes(4, 2, 2, 10));
    let (e, t) = load_err(&truncated, &good_l, &truncated);
    assert!(matches!(e, DataError::Idx(IdxError::SizeMismatch { expected: 16, found: 10, .. })), "{t}");

    let too_long = write(d, "extra.idx", &images_bytes(4, 2, 2, 20));
    let (e, _) = load_err(&too_long, &good_l, &too_long);
    assert!(matches!(e, DataError::Idx(IdxError::TrailingData { .. })));

    let few_labels = write(d, "three-labels.idx", &labels_bytes(&[0, 1, 2]));
    let (e, t) = load_err(&good_i, &few_labels, &few_labels);
    assert!(matches!(e, DataError::CountMismatch { n_images: 4, n_labels: 3, .. }), "{t}");

    let bad_label = write(d, "label255.idx", &labels_bytes(&[0, 1, 255, 3]));
    let (e, t) = load_err(&good_i, &bad_label, &bad_label);
    assert!(matches!(e, DataError::LabelOutOfRange { index: 2, label: 255, .. }), "{t}");

    let empty = write(d, "empty.idx", &[]);
    let (e, _) = load_err(&empty, &good_l, &empty);
    assert!(matches!(e, DataError::Idx(IdxError::Empty { .. })));

    let fake_gz = write(d, "fake.gz", &images_bytes(4, 2, 2, 16));
    let (e, t) = load_err(&fake_gz, &good_l, &fake_gz);
    assert!(matches!(e, DataError::Idx(IdxError::NotGzip { .. })), "{t}");

    let mut broken = gzip(&images_bytes(4, 2, 2, 16));
    broken.truncate(broken.len() / 2);
    let broken_gz = write(d, "broken.gz", &broken);
    let (e, _) = load_err(&broken_gz, &good_l, &broken_gz);
    assert!(matches!(e, DataError::Idx(IdxError::BadGzip { .. })));

    let (e, t) = load_err(d, &good_l, d);
    assert!(matches!(e, DataError::Idx(IdxError::IsDirectory { .. })), "{t}");

    let missing = d.join("missing.idx");
    let (e, _) = load_err(&missing, &good_l, &missing);
    assert!(matches!(e, DataError::Idx(IdxError::Io { .. })));

    let zero_size = write(d, "zero-rows.idx", &images_bytes(4, 0, 2, 0));
    let (e, _) = load_err(&zero_size, &good_l, &zero_size);
    assert!(matches!(e, DataError::Idx(IdxError::BadImageSize { .. })));

    // Any image size and up to 255 classes are fine.
    let odd = Dataset::load(
        &write(d, "odd.idx", &images_bytes(2, 5, 7, 70)),
        &write(d, "odd-l.idx", &labels_bytes(&[254, 0])),
    )
    .unwrap();
    assert_eq!((odd.rows, odd.cols, odd.classes), (5, 7, 255));
}
