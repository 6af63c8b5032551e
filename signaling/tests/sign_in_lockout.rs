//! Nobody can lock an expert out: bad tokens back off only the address
//! that sent them (a stranger's four bad resumes used to refuse every
//! expert's resume from everywhere), seven wrong passwords from a stranger
//! leave the right password working from the expert's own address, and
//! one colleague's misses behind an office's shared address do not back
//! off another account there.

mod common;

use common::*;

fn resume(token: &str) -> String {
    format!(r#"{{"type":"resume","token":"{token}"}}"#)
}

#[tokio::test]
async fn a_strangers_bad_tokens_do_not_block_anyone_elses_resume() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    let (_, token) = signed_in_expert(&server.url, "ann").await;

    let mut stranger = hello_from(&server.url, [127, 0, 5, 1], "expert").await;
    let mut refusals = Vec::new();
    for n in 0..8 {
        let reply = exchange(&mut stranger, &resume(&format!("{n:064x}"))).await;
        refusals.push(reply["code"].as_str().unwrap().to_owned());
    }
    assert_eq!(refusals.last().unwrap(), "rate_limited", "{refusals:?}");
    // The user name that used to share the tokens' key is refused outright.
    let reply = login(&mut stranger, "#token", "x").await;
    assert_ne!(reply["type"], "signed_in", "{reply}");

    let mut ann = hello_from(&server.url, [127, 0, 5, 2], "expert").await;
    let reply = exchange(&mut ann, &resume(&token)).await;
    assert_eq!(reply["type"], "signed_in", "{reply}");
}

#[tokio::test]
async fn wrong_passwords_from_a_stranger_leave_the_expert_signing_in() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    // Ann's own address: she signed in from it before.
    let mut desk_pc = hello_from(&server.url, [127, 0, 6, 1], "expert").await;
    assert_eq!(
        login(&mut desk_pc, "ann", PASSWORD).await["type"],
        "signed_in"
    );

    let mut stranger = hello_from(&server.url, [127, 0, 6, 66], "expert").await;
    for _ in 0..7 {
        let reply = login(&mut stranger, "ann", "guess").await;
        assert!(
            ["bad_credentials", "rate_limited"].contains(&reply["code"].as_str().unwrap()),
            "{reply}"
        );
    }
    let mut again = hello_from(&server.url, [127, 0, 6, 1], "expert").await;
    assert_eq!(
        login(&mut again, "ann", PASSWORD).await["type"],
        "signed_in"
    );
    let mut laptop = hello_from(&server.url, [127, 0, 6, 2], "expert").await;
    assert_eq!(
        login(&mut laptop, "ann", PASSWORD).await["type"],
        "signed_in",
        "a new address is slowed only after many more misses"
    );
}

#[tokio::test]
async fn a_colleagues_misses_behind_one_address_do_not_back_off_another_account() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    server.add_expert("bob", "Bob").await;
    let mut office = hello_from(&server.url, [127, 0, 7, 1], "expert").await;
    for _ in 0..5 {
        login(&mut office, "bob", "typo").await;
    }
    assert_eq!(
        login(&mut office, "bob", PASSWORD).await["code"],
        "rate_limited"
    );
    let mut colleague = hello_from(&server.url, [127, 0, 7, 1], "expert").await;
    assert_eq!(
        login(&mut colleague, "ann", PASSWORD).await["type"],
        "signed_in"
    );
}
