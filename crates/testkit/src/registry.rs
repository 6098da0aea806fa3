//! A real registry for tier-2 tests: Debian's `docker-registry` (the CNCF distribution
//! registry) on 127.0.0.1 with a temporary storage directory, images pushed with `skopeo`,
//! stopped by PID when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Both tools, or a skip (a failure when CI is set).
pub fn tools() -> bool {
    let have = |t: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if have("docker-registry") && have("skopeo") {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("docker-registry and skopeo are required when CI is set");
    }
    eprintln!("skipping: docker-registry or skopeo not installed");
    false
}

pub struct LocalRegistry {
    child: Child,
    port: u16,
    storage: tempfile::TempDir,
    _config: tempfile::TempDir,
}

impl LocalRegistry {
    /// Starts a registry; `config_extra(config_dir)` returns YAML appended to the config (an
    /// `auth:` section, with any files it needs written into `config_dir`).
    pub fn start(config_extra: impl FnOnce(&std::path::Path) -> String) -> LocalRegistry {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let storage = tempfile::tempdir().unwrap();
        let config = tempfile::tempdir().unwrap();
        let mut yaml = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            storage.path().display()
        );
        yaml.push_str(&config_extra(config.path()));
        let config_file = config.path().join("config.yml");
        std::fs::write(&config_file, yaml).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "registry did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        LocalRegistry {
            child,
            port,
            storage,
            _config: config,
        }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `skopeo copy --all FROM docker://HOST/TO`.
    pub fn push(&self, from: &str, to: &str, creds: Option<&str>) {
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "--all", "--dest-tls-verify=false"]);
        if let Some(c) = creds {
            cmd.args(["--dest-creds", c]);
        }
        let out = cmd
            .arg(from)
            .arg(format!("docker://{}/{to}", self.host()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "skopeo: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Where the registry keeps a blob on disk.
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.storage.path().join(format!(
            "docker/registry/v2/blobs/sha256/{}/{hex}/data",
            &hex[..2]
        ))
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
