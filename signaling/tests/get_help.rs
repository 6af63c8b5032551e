//! What a desk offers the people it helps: `/client-config` (its card as
//! JSON and as a desk file, named by its policy), `/get-help` (installers
//! and the link that opens the app), and `/downloads/…`, which serves the
//! installers and nothing else.

mod common;

use common::PASSWORD;
use common::TestServer;
use common::console::Console;
use lifeline_signaling::config::ClientSettings;
use lifeline_signaling::protocol::client_card::ClientCard;

const PIN: &str = "6d6f6e6b657973206f6e206120747970657772697465722c2062792074686521";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

async fn desk_with_front(dir: &std::path::Path) -> TestServer {
    let downloads = dir.join("downloads");
    std::fs::create_dir(&downloads).unwrap();
    std::fs::write(
        downloads.join("lifeline_0.1.0_amd64.deb"),
        vec![7u8; 300_000],
    )
    .unwrap();
    std::fs::write(downloads.join(".secret.deb"), b"hidden").unwrap();
    std::fs::write(dir.join("logo.png"), PNG).unwrap();
    let client = ClientSettings {
        url: Some("https://help.acme.example".into()),
        pin: Some(PIN.to_uppercase()),
        logo: Some(dir.join("logo.png")),
        downloads: Some(downloads),
    };
    TestServer::start_with(move |config| config.client = client).await
}

#[tokio::test]
async fn the_card_follows_the_policy_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let server = desk_with_front(dir.path()).await;
    let (status, body) = server.get("/client-config", None).await;
    assert_eq!(status, 200, "{body}");
    let card: ClientCard = serde_json::from_str(&body).unwrap();
    assert_eq!(
        card.name, "help.acme.example",
        "the address until a name is set"
    );
    assert_eq!(card.desk, "https://help.acme.example");
    assert_eq!(card.pin.as_deref(), Some(PIN));
    assert!(card.logo.unwrap().starts_with("data:image/png;base64,"));

    server.add_admin("boss", "The Boss").await;
    let mut boss = Console::new(server.addr);
    assert_eq!(boss.sign_in("boss", PASSWORD).await.status, 303);
    let saved = boss
        .submit(
            "/console/policy",
            "/console/policy",
            &[
                ("desk_name", "Acme IT Desk"),
                ("consent_timeout_secs", "300"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let (_, body) = server.get("/client-config", None).await;
    let card: ClientCard = serde_json::from_str(&body).unwrap();
    assert_eq!(card.name, "Acme IT Desk");

    let (status, file) = server.get("/client-config?format=toml", None).await;
    assert_eq!(status, 200);
    let parsed: ClientCard = toml::from_str(&file).unwrap();
    assert_eq!(parsed, card, "the desk file says what the JSON says");
    assert_eq!(server.get("/client-config?format=xml", None).await.0, 400);
}

#[tokio::test]
async fn the_page_offers_the_installers_and_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let server = desk_with_front(dir.path()).await;
    let (status, page) = server.get("/get-help", None).await;
    assert_eq!(status, 200);
    let link = format!("lifeline://get-help?desk=https%3A%2F%2Fhelp.acme.example&amp;pin={PIN}");
    assert!(page.contains(&link), "{page}");
    assert!(
        page.contains("href=\"/downloads/lifeline_0.1.0_amd64.deb\""),
        "{page}"
    );
    assert!(page.contains("0.3 MB"), "{page}");
    assert!(!page.contains("secret"), "{page}");

    let (status, body) = server
        .get("/downloads/lifeline_0.1.0_amd64.deb", None)
        .await;
    assert_eq!((status, body.len()), (200, 300_000));
    for path in [
        "/downloads/.secret.deb",
        "/downloads/..%2Flogo.png",
        "/downloads/logo.png",
        "/downloads/nothing.deb",
    ] {
        assert_eq!(server.get(path, None).await.0, 404, "{path}");
    }
}

#[tokio::test]
async fn a_desk_without_a_client_section_still_has_a_card() {
    let server = TestServer::start().await;
    let (status, body) = server.get("/client-config", None).await;
    assert_eq!(status, 200);
    let card: ClientCard = serde_json::from_str(&body).unwrap();
    let host = server.addr.to_string();
    assert_eq!(
        (card.name.as_str(), card.desk),
        (host.as_str(), format!("https://{host}"))
    );
    assert_eq!((card.pin, card.logo), (None, None));
    let (_, page) = server.get("/get-help", None).await;
    assert!(
        !page.contains("lifeline://"),
        "no link without a pin: {page}"
    );
    assert!(page.contains("for the installer"), "{page}");
    assert_eq!(server.get("/downloads/anything.deb", None).await.0, 404);
}
