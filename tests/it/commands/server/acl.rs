//! `ACL *` against a server started with an ACL file, over RESP3 and RESP2.

use super::T;
use crate::util::{clients, connect};
use coredis::prelude::*;
use coredis::types::{AclDryRun, AclLogReason};
use coredis::{ErrorKind, ServerCode};
use coredis_test_support::{server_major_minor, skip, Server};
use std::path::PathBuf;

/// A file removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn acl_file() -> TempFile {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let path =
        std::env::temp_dir().join(format!("coredis-acl-{}-{nanos:x}.acl", std::process::id()));
    std::fs::write(&path, "user default on nopass ~* &* +@all\n").expect("write the ACL file");
    TempFile(path)
}

#[test]
fn server_acl_users_rules_and_dryrun() {
    let new = server_major_minor() >= (7, 0);
    let file = acl_file();
    let server = Server::builder()
        .arg("--aclfile")
        .arg(&file.0.display().to_string())
        .start();
    for (p, r) in clients(&server) {
        assert_eq!(r.acl_whoami().unwrap(), "default", "RESP{p}");
        let cats = r.acl_cat().unwrap();
        assert!(cats.iter().any(|c| c == "dangerous"), "RESP{p}: {cats:?}");
        let strings = r.acl_cat_with("string").unwrap();
        assert!(strings.iter().any(|c| c == "get"), "{strings:?}");
        let e = r.acl_cat_with("no-such-category").unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
        let pass = r.acl_genpass().unwrap();
        assert_eq!(pass.len(), 64, "{pass}");
        assert!(pass.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(r.acl_genpass_with(32).unwrap().len(), 8);
        assert_eq!(r.acl_genpass_with(5).unwrap().len(), 2, "rounded up");

        // A user created without rules is disabled and may do nothing.
        r.acl_setuser("empty").unwrap();
        let empty = r.acl_getuser("empty").unwrap().expect("created");
        assert!(empty.flags.iter().any(|f| f == "off"), "{empty:?}");
        assert!(empty.passwords.is_empty());
        assert_eq!(r.acl_getuser("nobody").unwrap(), None);

        r.acl_setuser_with(
            "alice",
            [
                "reset",
                "resetchannels",
                "on",
                ">pw1",
                "~cache:*",
                "&chan",
                "+get",
                "+set",
            ],
        )
        .unwrap();
        let alice = r.acl_getuser("alice").unwrap().expect("created");
        assert!(alice.flags.iter().any(|f| f == "on"), "{alice:?}");
        assert_eq!(alice.passwords.len(), 1);
        assert_eq!(alice.passwords[0].len(), 64, "a SHA-256 in hex");
        assert!(alice.commands.contains("+get") && alice.commands.contains("+set"));
        assert_eq!(alice.keys, "~cache:*", "RESP{p}");
        assert_eq!(alice.channels, "&chan");
        assert!(alice.selectors.is_empty());
        let e = r.acl_setuser_with("alice", ["bogus-rule"]).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
        if new {
            r.acl_setuser_with("alice", ["%R~ro:*", "(~sel:* +hget)"])
                .unwrap();
            let alice = r.acl_getuser("alice").unwrap().expect("exists");
            assert_eq!(alice.keys, "~cache:* %R~ro:*");
            assert_eq!(alice.selectors.len(), 1, "{alice:?}");
            assert_eq!(alice.selectors[0].keys, "~sel:*");
            assert!(alice.selectors[0].commands.contains("+hget"));
            assert_eq!(alice.databases.is_some(), super::valkey_at_least(9, 1));

            assert_eq!(
                r.acl_dryrun_with("alice", "get", ["cache:1"]).unwrap(),
                AclDryRun::Allowed
            );
            let denied = r.acl_dryrun_with("alice", "del", ["cache:1"]).unwrap();
            match &denied {
                AclDryRun::Denied(why) => assert!(why.contains("del"), "{why}"),
                other => panic!("RESP{p}: {other:?}"),
            }
            assert!(!denied.is_allowed());
            assert!(matches!(
                r.acl_dryrun("alice", "ping").unwrap(),
                AclDryRun::Denied(_)
            ));
            assert!(r.acl_dryrun("default", "ping").unwrap().is_allowed());
            let e = r.acl_dryrun("nobody", "ping").unwrap_err();
            assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
        }
        let list = r.acl_list().unwrap();
        assert!(
            list.iter().any(|l| l.starts_with("user alice on")),
            "{list:?}"
        );
        let mut users = r.acl_users().unwrap();
        users.sort();
        assert_eq!(users, ["alice", "default", "empty"]);

        // The file: save, delete, load back.
        r.acl_save().unwrap();
        let saved = std::fs::read_to_string(&file.0).unwrap();
        assert!(saved.contains("user alice"), "{saved}");
        assert_eq!(r.acl_deluser(["alice", "nobody"]).unwrap(), 1);
        assert_eq!(r.acl_getuser("alice").unwrap(), None);
        r.acl_load().unwrap();
        assert!(r.acl_getuser("alice").unwrap().is_some(), "loaded back");
        assert_eq!(r.acl_deluser("empty").unwrap(), 1);
        assert_eq!(r.acl_deluser(["alice"]).unwrap(), 1);
        let e = r.acl_deluser(Vec::<String>::new()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
        let e = r.acl_deluser("default").unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
    }
    if !new {
        skip(
            &format!("{T}server_acl_users_rules_and_dryrun"),
            "ACL DRYRUN, selectors and %R~ patterns need Redis 7.0 (the rest was tested)",
        );
    }
    // GETUSER reads the same under both protocols.
    let c = clients(&server);
    let (r3, r2) = (&c[0].1, &c[1].1);
    r3.acl_setuser_with("bob", ["on", ">x", "~b:*", "+@read"])
        .unwrap();
    assert_eq!(
        r3.acl_getuser("bob").unwrap(),
        r2.acl_getuser("bob").unwrap()
    );
    assert!(r3.acl_getuser("bob").unwrap().is_some());
}

#[test]
fn server_acl_log() {
    let server = Server::start();
    let r = connect(&server);
    r.acl_setuser_with(
        "dave",
        ["on", ">pw", "~k*", "resetchannels", "+get", "+auth"],
    )
    .unwrap();
    let replies = server.raw_commands(&[
        &["AUTH", "dave", "wrong"],
        &["AUTH", "dave", "pw"],
        &["SET", "k1", "v"],
        &["GET", "other"],
    ]);
    assert!(replies[0].contains("WRONGPASS"), "{replies:?}");
    assert!(replies[2].contains("NOPERM") && replies[3].contains("NOPERM"));
    for (p, r) in clients(&server) {
        let log = r.acl_log().unwrap();
        assert_eq!(log.len(), 3, "RESP{p}: {log:?}");
        let reasons: Vec<&AclLogReason> = log.iter().map(|e| &e.reason).collect();
        assert_eq!(
            reasons,
            [
                &AclLogReason::Key,
                &AclLogReason::Command,
                &AclLogReason::Auth
            ],
            "newest first"
        );
        assert!(log.iter().all(|e| e.username == "dave" && e.count == 1));
        assert_eq!(log[0].object, "other");
        assert_eq!(log[1].object, "set");
        assert_eq!(log[0].context, "toplevel");
        assert!(log[0].client_info.contains("addr=127.0.0.1:"));
        assert!(log[0].age < std::time::Duration::from_secs(600));
        // Redis 7.2+ (and Valkey) number the entries and time them.
        assert_eq!(log[0].entry_id.is_some(), log[0].created.is_some());
        let one = r.acl_log_with(1).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].reason, AclLogReason::Key);
    }
    r.acl_log_reset().unwrap();
    assert!(r.acl_log().unwrap().is_empty());

    // Without an ACL file, LOAD and SAVE are errors.
    for e in [r.acl_load().unwrap_err(), r.acl_save().unwrap_err()] {
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
    }
}
