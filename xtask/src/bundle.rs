//! The plugin's release bundle: a zip (deflate) of the files a designer installs, with a
//! `SHA256SUMS` of them inside, and the `SHA256SUMS` lines of `dist/`.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::{Result, cdylib_file_name, read};

/// The name of the checksum file, inside the zip and in `dist/`.
pub const SUMS: &str = "SHA256SUMS";

/// The name of the generated third-party licence notice inside the zip.
pub const NOTICES: &str = "THIRD-PARTY-LICENSES.md";

/// The repository's files every bundle holds, by their path in the repository, which is also
/// their path inside the bundle's folder (the guides show the two pictures).
pub const REPOSITORY_FILES: &[&str] = &[
    "plugin.json",
    "include/dingtalk_robot.h",
    "README.md",
    "README.zh-CN.md",
    "docs/guide.en.md",
    "docs/guide.zh-CN.md",
    "docs/studio.png",
    "docs/demo.zh-CN.png",
    "CHANGELOG.md",
    "LICENSE-MIT",
    "LICENSE-APACHE",
];

/// `dingtalk-robot-<version>-<target triple>`: the zip's name without `.zip`, and the one
/// folder inside it.
pub fn bundle_name(version: &str, triple: &str) -> String {
    format!("dingtalk-robot-{version}-{triple}")
}

/// What one bundle is made of.
pub struct Bundle<'a> {
    /// The repository, where [`REPOSITORY_FILES`] are read.
    pub root: &'a Path,
    /// The built plugin library (stripped, for a release).
    pub cdylib: &'a Path,
    /// The release's version.
    pub version: &'a str,
    /// The target triple the library was built for.
    pub triple: &'a str,
    /// The third-party licence notice ([`crate::notices::third_party_notice`]).
    pub notices: &'a str,
}

impl Bundle<'_> {
    /// Writes `<out_dir>/dingtalk-robot-<version>-<triple>.zip` and returns its path. Every
    /// entry is under one folder of the zip's name; the library is executable on Unix.
    pub fn write(&self, out_dir: &Path) -> Result<PathBuf> {
        let folder = bundle_name(self.version, self.triple);
        let mut files: Vec<(String, Vec<u8>)> = vec![(cdylib_file_name(self.triple).to_owned(), read(self.cdylib)?)];
        for name in REPOSITORY_FILES {
            files.push(((*name).to_owned(), read(&self.root.join(name))?));
        }
        files.push((NOTICES.to_owned(), self.notices.as_bytes().to_vec()));
        let sums = sums_text(files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())));
        files.push((SUMS.to_owned(), sums.into_bytes()));

        std::fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
        let path = out_dir.join(format!("{folder}.zip"));
        let file = std::fs::File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let mut zip = ZipWriter::new(file);
        let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        let zip_error = |e: zip::result::ZipError| format!("cannot write {}: {e}", path.display());
        for (index, (name, bytes)) in files.iter().enumerate() {
            let mode = if index == 0 { 0o755 } else { 0o644 };
            zip.start_file(format!("{folder}/{name}"), deflated.unix_permissions(mode)).map_err(zip_error)?;
            zip.write_all(bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        zip.finish().map_err(zip_error)?;
        Ok(path)
    }
}

/// The lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `sha256sum`'s format, one `<hex>  <name>` line per file (binary mode is the same on
/// every OS `sha256sum -c` and `shasum -a 256 -c` run on).
pub fn sums_text<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    files.into_iter().map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes))).collect()
}

/// Writes `<dir>/SHA256SUMS` over `files` (by their names in `dir`) and returns its path.
pub fn write_sums(dir: &Path, files: &[PathBuf]) -> Result<PathBuf> {
    let mut read_files = Vec::new();
    for file in files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        read_files.push((name, read(file)?));
    }
    let text = sums_text(read_files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())));
    let path = dir.join(SUMS);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_sha256sum_lines() {
        // sha256 of "abc", as `printf abc | sha256sum` prints it.
        let text = sums_text([("a.txt", b"abc".as_slice()), ("b", b"".as_slice())]);
        assert_eq!(
            text,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a.txt\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  b\n"
        );
    }

    #[test]
    fn the_bundle_is_named_for_its_version_and_target() {
        assert_eq!(bundle_name("0.2.0", "x86_64-unknown-linux-gnu"), "dingtalk-robot-0.2.0-x86_64-unknown-linux-gnu");
        assert_eq!(cdylib_file_name("x86_64-pc-windows-msvc"), "dingtalk_robot.dll");
        assert_eq!(cdylib_file_name("aarch64-apple-darwin"), "libdingtalk_robot.dylib");
    }
}
