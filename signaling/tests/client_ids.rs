//! Clients get six-digit one-time IDs: each request issues a fresh one (the
//! earlier one is superseded), a description over 60 characters is refused
//! rather than cut, and experts cannot ask for client IDs.

mod common;

use common::{exchange, hello, start};

const REQUEST: &str = r#"{"type":"request_id","description":"Printer does not print","computer":{"name":"pc-7","os":"Debian 12","user":"ann"}}"#;

#[tokio::test]
async fn a_client_gets_a_fresh_six_digit_id_each_time() {
    let url = start().await;
    let mut client = hello(&url, "client").await;

    let first = exchange(&mut client, REQUEST).await;
    assert_eq!(first["type"], "id_issued", "{first}");
    let id = first["id"].as_str().unwrap();
    assert!(
        id.len() == 6 && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    let expires = first["expires_in_secs"].as_u64().unwrap();
    assert!((3590..=3600).contains(&expires), "{expires}");
    assert_eq!(first["secret"].as_str().unwrap().len(), 32);

    let second = exchange(&mut client, REQUEST).await;
    assert_eq!(second["type"], "id_issued");
    assert_ne!(second["id"], first["id"], "asking again issues a new ID");
}

#[tokio::test]
async fn a_description_over_sixty_characters_is_refused_not_cut() {
    let url = start().await;
    let mut client = hello(&url, "client").await;
    let sixty = "é".repeat(60);
    let ok = exchange(
        &mut client,
        &format!(r#"{{"type":"request_id","description":"{sixty}"}}"#),
    )
    .await;
    assert_eq!(
        ok["type"], "id_issued",
        "60 characters (120 bytes) are fine: {ok}"
    );

    let sixty_one = "a".repeat(61);
    let refused = exchange(
        &mut client,
        &format!(r#"{{"type":"request_id","description":"{sixty_one}"}}"#),
    )
    .await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["code"], "description_too_long");
}

#[tokio::test]
async fn experts_cannot_ask_for_client_ids() {
    let url = start().await;
    let mut expert = hello(&url, "expert").await;
    let reply = exchange(&mut expert, REQUEST).await;
    assert_eq!(reply["code"], "wrong_role");
}
