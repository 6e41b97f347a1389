//! Spawning child processes that die with the test process, and a watchdog that ends a test
//! process stuck in a deadlock.

use std::io::{self, Write};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Spawns `cmd` from one long-lived helper thread, with `PR_SET_PDEATHSIG = SIGKILL` on
/// Linux, so the child dies with the test process even when it exits without dropping its
/// handle (servers kept in `static`s, a test binary killed by a timeout).
///
/// The parent-death signal fires when the *thread* that forked the child exits, so forking
/// from a short-lived test thread would kill servers shared between tests; the helper thread
/// lives until the process exits, and then the children die with it.
pub fn spawn_with_parent_death(mut cmd: Command) -> io::Result<Child> {
    type Request = (Command, mpsc::Sender<io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();

    set_parent_death_signal(&mut cmd);
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        thread::Builder::new()
            .name("coredis-test-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("cannot start the process spawner thread");
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    spawner
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, reply_tx))
        .expect("the process spawner thread is gone");
    reply_rx.recv().expect("the process spawner thread is gone")
}

#[cfg(target_os = "linux")]
fn set_parent_death_signal(cmd: &mut Command) {
    use std::os::raw::{c_int, c_ulong};
    use std::os::unix::process::CommandExt;
    extern "C" {
        fn prctl(option: c_int, ...) -> c_int;
    }
    const PR_SET_PDEATHSIG: c_int = 1;
    const SIGKILL: c_ulong = 9;
    // SAFETY: prctl(PR_SET_PDEATHSIG) is a plain syscall wrapper: async-signal-safe, no
    // allocation, no locks, so it may run between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn set_parent_death_signal(_cmd: &mut Command) {}

/// Ends the whole process if it is still alive `limit` after [`Watchdog::start`] and the
/// watchdog has not been dropped: for tests whose failure mode is a deadlock, which no
/// assertion can catch (a panic cannot unwind a thread blocked on a lock).
///
/// On expiry it prints `WATCHDOG: <what> still running after <limit>: presumed deadlocked`
/// to stderr and exits with status 101 (libtest's code for a failed test), so the test run
/// fails instead of hanging. In a test binary that runs several tests in one process (plain
/// `cargo test`), the other tests die with it; under nextest each test has its own process.
#[derive(Debug)]
pub struct Watchdog {
    done: Arc<AtomicBool>,
}

impl Watchdog {
    /// Starts watching. `what` names the test in the message.
    pub fn start(what: &str, limit: Duration) -> Watchdog {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let what = what.to_owned();
        thread::Builder::new()
            .name("coredis-test-watchdog".into())
            .spawn(move || {
                let until = Instant::now() + limit;
                while Instant::now() < until {
                    if flag.load(Ordering::SeqCst) {
                        return;
                    }
                    thread::sleep(Duration::from_millis(50));
                }
                if !flag.load(Ordering::SeqCst) {
                    let mut err = io::stderr().lock();
                    let _ = writeln!(
                        err,
                        "WATCHDOG: {what} still running after {limit:?}: presumed deadlocked"
                    );
                    let _ = err.flush();
                    std::process::exit(101);
                }
            })
            .expect("cannot start the watchdog thread");
        Watchdog { done }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Stdio;

    const CHILD: &str = "COREDIS_WATCHDOG_TEST_CHILD";

    /// Runs itself (this test binary, this test only) as a child process that deadlocks under a
    /// short watchdog, and checks that the child ends with status 101 and says why.
    #[test]
    fn watchdog_ends_a_deadlocked_process() {
        if std::env::var_os(CHILD).is_some() {
            let _watchdog = Watchdog::start("the child", Duration::from_millis(200));
            // Blocks for ever, like a deadlock: the sender is alive and never sends.
            let (_tx, rx) = mpsc::channel::<()>();
            let _ = rx.recv();
            unreachable!();
        }
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "process::tests::watchdog_ends_a_deadlocked_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The child cannot outlive this test: it ends itself, and dies with us if we die.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(101), "{stderr}");
        assert!(
            stderr.contains("WATCHDOG: the child still running after 200ms"),
            "{stderr}"
        );
    }

    #[test]
    fn a_dropped_watchdog_does_nothing() {
        let watchdog = Watchdog::start("nothing", Duration::from_millis(50));
        drop(watchdog);
        thread::sleep(Duration::from_millis(200));
        // Still alive: the watchdog saw the drop.
    }
}
