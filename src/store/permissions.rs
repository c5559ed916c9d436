//! Who may read the store: its owner only. The store holds the service password and every lead, so
//! its folders are 0700 and its files 0600, whatever the umask was when sled or an older version
//! created them. A file sled creates later lands in a 0700 folder, out of other users' reach.

use std::path::Path;

#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Makes `dir` readable by its owner only (not what it holds).
pub fn restrict_dir(dir: &Path) {
    #[cfg(unix)]
    set_mode(dir, DIR_MODE);
    #[cfg(not(unix))]
    let _ = dir;
}

/// `dir` and everything under it: folders 0700, files 0600.
pub fn restrict_tree(dir: &Path) {
    #[cfg(unix)]
    {
        restrict_dir(dir);
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                restrict_tree(&entry.path());
            } else if kind.is_file() {
                set_mode(&entry.path(), FILE_MODE);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Creates (or truncates) a file only its owner may read: for backups, which hold the password.
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let file = options.open(path)?;
    // An existing file keeps its mode on open: set it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(file)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
        // Not fatal: the store works, only less private. Say so where the admin looks.
        tracing::warn!("не удалось закрыть доступ к {} для других пользователей: {e}", path.display());
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_store_opened_from_world_readable_files_is_private_afterwards() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        drop(super::super::SledStore::open(dir.path()).unwrap());
        let store = super::super::store_dir(dir.path());
        // As an older version or a loose umask left them.
        for entry in std::fs::read_dir(&store).unwrap() {
            let path = entry.unwrap().path();
            let loose = if path.is_dir() { 0o755 } else { 0o644 };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(loose)).unwrap();
        }
        std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o755)).unwrap();
        drop(super::super::SledStore::open(dir.path()).unwrap());
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&store), 0o700);
        let mut files = 0;
        for entry in std::fs::read_dir(&store).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), if path.is_dir() { 0o700 } else { 0o600 }, "{}", path.display());
            files += 1;
        }
        assert!(files >= 2, "sled's files and the intake journal");
    }

    #[test]
    fn a_private_file_is_private_even_when_it_existed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup.jsonl");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(create_private_file(&path).unwrap());
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"");
    }
}
