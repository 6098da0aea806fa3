//! Each trace format on samples written as the tools' documentation shows their output.

use drydock_usage::access::{Format, read};

#[test]
fn strace_follows_opens_and_runs_processes_cwd_and_failures() {
    // strace -f -tt -y -e trace=%file,%process -o FILE, as written with -o (pid first).
    let trace = r#"4242 10:20:30.000001 execve("/usr/bin/python3", ["python3", "-c", "import requests"], 0x7ffd8 /* 9 vars */) = 0
4242 10:20:30.000100 access("/etc/ld.so.preload", R_OK) = -1 ENOENT (No such file or directory)
4242 10:20:30.000200 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>
4242 10:20:30.000300 openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC) = 3</usr/lib/x86_64-linux-gnu/libc.so.6>
4242 10:20:30.000400 readlink("/proc/self/exe", "/usr/bin/python3.11", 4096) = 19
4242 10:20:30.000500 chdir("/app") = 0
4242 10:20:30.000600 openat(AT_FDCWD, "lib/util.py", O_RDONLY|O_CLOEXEC) = 3
4242 10:20:30.000650 newfstatat(AT_FDCWD, "/etc/hostname", {st_mode=S_IFREG|0644, st_size=10, ...}, 0) = 0
4242 10:20:30.000700 openat(3</usr/lib/python3.11>, "os.py", O_RDONLY) = 4</usr/lib/python3.11/os.py>
4242 10:20:30.000800 clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f, stack_size=0x9000}, 88 <unfinished ...>
4243 10:20:30.000900 execve("/bin/uname", ["uname", "-m"], 0x55 /* 9 vars */) = 0
4242 10:20:30.001000 <... clone3 resumed>) = 4243
4243 10:20:30.001100 openat(AT_FDCWD, "/etc/../etc/passwd", O_RDONLY) = 3
4243 10:20:30.001200 exit_group(0) = ?
4243 10:20:30.001300 +++ exited with 0 +++
4242 10:20:30.001400 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=4243} ---
4242 10:20:30.001500 openat(AT_FDCWD, "/proc/self/maps", O_RDONLY) = 5
4242  10:20:30.001550 getcwd("/app", 4096)              = 5
garbage that is not strace
4242 10:20:30.001600 exit_group(0) = ?
4242 10:20:30.001700 +++ exited with 0 +++
"#;
    let a = read(Format::Strace, trace).unwrap();
    let paths: Vec<&str> = a.paths.iter().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "/app/lib/util.py",
            "/bin/uname",
            "/etc/ld.so.cache",
            "/etc/passwd",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/bin/python3",
            "/usr/bin/python3.11",
            "/usr/lib/python3.11/os.py",
        ]
    );
    let executed: Vec<&str> = a.executed.iter().map(String::as_str).collect();
    assert_eq!(executed, ["/bin/uname", "/usr/bin/python3"]);
    assert_eq!((a.processes, a.bad_lines), (2, 1));
    assert_eq!(
        (a.first.as_deref(), a.last.as_deref()),
        (Some("10:20:30.000001"), Some("10:20:30.001700"))
    );
}

#[test]
fn strace_of_a_chrooted_run_keeps_only_what_follows_the_chroot() {
    let trace = r#"100 execve("/usr/sbin/chroot", ["chroot", "/tmp/root", "curl", "--version"], 0x1 /* 3 vars */) = 0
100 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3
100 chroot("/tmp/root") = 0
100 chdir("/") = 0
100 execve("/usr/local/bin/curl", ["curl", "--version"], 0x2 /* 3 vars */) = -1 ENOENT (No such file or directory)
100 execve("/usr/bin/curl", ["curl", "--version"], 0x2 /* 3 vars */) = 0
100 openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libcurl.so.4", O_RDONLY|O_CLOEXEC) = 3
"#;
    let a = read(Format::Strace, trace).unwrap();
    let paths: Vec<&str> = a.paths.iter().map(String::as_str).collect();
    assert_eq!(paths, ["/lib/x86_64-linux-gnu/libcurl.so.4", "/usr/bin/curl"]);
}

#[test]
fn fatrace_lines_with_and_without_times() {
    let trace = "rsyslogd(1117): W /var/log/syslog\n14:34:12.593145 bash(7390): RO  /usr/bin/ls\n14:34:12.594000 ls(7391): O /usr/lib/x86_64-linux-gnu/libselinux.so.1\nnot a record\n";
    let mut a = read(Format::Fatrace, trace).unwrap();
    assert_eq!(a.paths.len(), 3);
    assert_eq!((a.processes, a.bad_lines, a.lines), (3, 1, 4));
    // fatrace sees the host's view: a traced root is stripped off.
    let rooted = read(
        Format::Fatrace,
        "python3(5): RO /tmp/r/usr/bin/python3.11\ncat(6): O /etc/hosts\n",
    )
    .unwrap();
    let mut r = rooted.clone();
    r.strip_prefix("/tmp/r");
    assert_eq!(r.paths.iter().collect::<Vec<_>>(), ["/usr/bin/python3.11"]);
    a.merge(r);
    assert_eq!(a.paths.len(), 4);
}

#[test]
fn tetragon_exec_and_file_kprobes() {
    let trace = concat!(
        r#"{"process_exec":{"process":{"exec_id":"a","pid":52699,"uid":0,"cwd":"/","binary":"/usr/bin/curl","arguments":"https://ebpf.io/","flags":"execve rootcwd","start_time":"2023-10-06T22:03:57.700327580Z"}},"node_name":"kind","time":"2023-10-06T22:03:57.700326678Z"}"#,
        "\n",
        r#"{"process_kprobe":{"process":{"exec_id":"b","pid":52700,"binary":"/usr/bin/cat"},"function_name":"security_file_permission","args":[{"file_arg":{"path":"/etc/passwd","permission":"-rw-r--r--"}},{"int_arg":4}],"action":"KPROBE_ACTION_POST"},"node_name":"kind","time":"2023-10-06T22:03:58.000000000Z"}"#,
        "\n",
        r#"{"process_exit":{"process":{"pid":52699}},"time":"2023-10-06T22:03:59.000000000Z"}"#,
        "\n{not json\n"
    );
    let a = read(Format::Tetragon, trace).unwrap();
    assert_eq!(a.executed.iter().collect::<Vec<_>>(), ["/usr/bin/curl"]);
    assert!(a.paths.contains("/etc/passwd"));
    assert_eq!((a.processes, a.bad_lines), (2, 1));
    assert_eq!(a.first.as_deref(), Some("2023-10-06T22:03:57.700326678Z"));
}

#[test]
fn falco_json_alerts() {
    let trace = r#"{"hostname":"node","output":"12:56:44 Warning Sensitive file opened","priority":"Warning","rule":"Read sensitive file untrusted","source":"syscall","tags":["filesystem"],"time":"2023-03-21T12:56:44.474543402Z","output_fields":{"container.id":"host","evt.time":1679403404474543402,"fd.name":"/etc/shadow","proc.cmdline":"cat /etc/shadow","proc.exepath":"/usr/bin/cat","proc.pid":12345,"user.name":"root"}}
{"output":"no fields"}
"#;
    let a = read(Format::Falco, trace).unwrap();
    assert_eq!(
        a.paths.iter().collect::<Vec<_>>(),
        ["/etc/shadow", "/usr/bin/cat"]
    );
    assert_eq!((a.processes, a.bad_lines), (1, 1));
}

#[test]
fn path_lists_and_drydock_records_round_trip() {
    let a = read(
        Format::Paths,
        "# accessed\n/usr/bin/env\n\nrelative/path\n/usr/lib/../lib/x.so\n",
    )
    .unwrap();
    assert_eq!(
        a.paths.iter().collect::<Vec<_>>(),
        ["/usr/bin/env", "/usr/lib/x.so"]
    );
    assert_eq!(a.bad_lines, 1);
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(read(Format::Drydock, &json).unwrap(), a);
    assert!(read(Format::Drydock, "{}").is_err());
}
