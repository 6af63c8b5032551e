//! The fuzz corpus (`tests/fuzz/corpus/`), replayed through the same entry
//! points `make fuzz` drives: every input that was ever interesting to the
//! fuzzer, or crashed it, stays a regression test here.

use std::path::PathBuf;

fn replay(target: &str, entry: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fuzz/corpus")
        .join(target);
    let mut count = 0;
    for file in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = file.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| entry(&data));
        assert!(outcome.is_ok(), "{} fails on {}", target, path.display());
        count += 1;
    }
    assert!(count >= 5, "the {target} corpus has only {count} inputs");
}

#[test]
fn peer_protocol_corpus() {
    replay("peer_protocol", lifeline_lib::fuzzing::peer_protocol);
}

#[test]
fn safe_path_corpus() {
    replay("safe_path", lifeline_lib::fuzzing::safe_path);
}

#[test]
fn rtp_corpus() {
    replay("rtp", lifeline_lib::fuzzing::rtp);
}

#[test]
fn signaling_protocol_corpus() {
    replay("signaling_protocol", lifeline_signaling::fuzzing::protocol);
}
