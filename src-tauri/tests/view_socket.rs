//! Only the view that attached can read the screen: the expert app's
//! loopback socket refuses a connection without the view's secret (HTTP
//! 404, no frame), serves the one with it, and ends it when a new view
//! attaches (a new secret); the old secret no longer opens it, and after
//! detaching the connection ends without another frame. The client's
//! pointer shape, sent once before any view opened, still reaches the view.

use std::time::Duration;

use futures_util::StreamExt;
use lifeline_lib::cursor::{CursorMessage, CursorView};
use lifeline_lib::local_view::socket::ViewSocket;
use lifeline_lib::media::sink::{FrameSink, FrameTimes, ScreenFrame};
use tokio_tungstenite::tungstenite::{Error, Message};

fn frame(n: u8, keyframe: bool) -> ScreenFrame {
    ScreenFrame {
        data: vec![n; 3],
        keyframe,
        replayed: false,
        times: FrameTimes {
            sink: Some(1.0),
            ..FrameTimes::default()
        },
    }
}

async fn next(
    socket: &mut (impl StreamExt<Item = Result<Message, Error>> + Unpin),
) -> Option<Message> {
    tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("a message or the end within 5 s")
        .and_then(Result::ok)
}

#[tokio::test]
async fn only_the_attached_view_reads_the_screen() {
    let view = ViewSocket::default();
    let url = view.open().await.unwrap();
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
    let (base, secret) = url.rsplit_once('/').unwrap();
    assert_eq!(secret.len(), 64);

    // A guessed secret, or none, is refused before any frame.
    for wrong in [
        format!("{base}/{}", "0".repeat(64)),
        format!("{base}/"),
        base.replace("/screen", "/"),
    ] {
        match tokio_tungstenite::connect_async(&wrong).await {
            Err(Error::Http(response)) => assert_eq!(response.status(), 404, "{wrong}"),
            other => panic!("{wrong} was not refused: {:?}", other.map(|_| ())),
        }
    }

    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    // The server registers the view just after the handshake; a frame
    // delivered before that waits in the outbox all the same.
    view.deliver(frame(1, true));
    let Some(Message::Binary(bytes)) = next(&mut socket).await else {
        panic!("no frame")
    };
    assert_eq!(bytes.as_ref(), frame(1, true).to_wire().as_slice());
    view.show(&CursorMessage::Position {
        x: 5,
        y: 6,
        visible: true,
    });
    let Some(Message::Text(text)) = next(&mut socket).await else {
        panic!("no pointer")
    };
    assert_eq!(
        text.as_str(),
        r#"{"type":"position","x":5,"y":6,"visible":true}"#
    );

    // A new view: the old connection ends, its secret is void.
    let newer = view.open().await.unwrap();
    assert_ne!(newer, url);
    match next(&mut socket).await {
        Some(Message::Close(_)) | None => {}
        Some(other) => panic!("the old view got {other:?}"),
    }
    assert!(tokio_tungstenite::connect_async(&url).await.is_err());
    let (mut socket, _) = tokio_tungstenite::connect_async(&newer).await.unwrap();
    view.deliver(frame(2, true));
    // The new view first gets the pointer as last seen.
    let Some(Message::Text(text)) = next(&mut socket).await else {
        panic!("no pointer for the new view")
    };
    assert!(text.as_str().contains(r#""x":5,"y":6"#), "{text}");
    let Some(Message::Binary(bytes)) = next(&mut socket).await else {
        panic!("no frame for the new view")
    };
    assert_eq!(bytes[bytes.len() - 1], 2);

    // Detached: nothing more is sent.
    view.close();
    view.deliver(frame(3, true));
    match next(&mut socket).await {
        Some(Message::Close(_)) | None => {}
        Some(other) => panic!("a detached view got {other:?}"),
    }
}

#[tokio::test]
async fn a_pointer_shown_before_the_view_opened_reaches_it() {
    let view = ViewSocket::default();
    // The client sends its shape once, when the share starts; the
    // expert's view may open after it came.
    let shape = CursorMessage::shape(1, 1, 0, 0, &[1, 2, 3, 255]).unwrap();
    view.show(&shape);
    view.show(&CursorMessage::Position {
        x: 7,
        y: 8,
        visible: true,
    });
    let url = view.open().await.unwrap();
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    // A frame wakes the writer, whenever the server took the connection.
    view.deliver(frame(1, true));
    let mut texts = Vec::new();
    loop {
        match next(&mut socket).await {
            Some(Message::Text(text)) => texts.push(text.to_string()),
            Some(Message::Binary(_)) => break,
            other => panic!("the view got {other:?}"),
        }
    }
    assert_eq!(
        texts,
        [
            shape.to_json(),
            r#"{"type":"position","x":7,"y":8,"visible":true}"#.to_string()
        ]
    );

    // Another session's client: its pointer starts afresh.
    view.forget();
    let url = view.open().await.unwrap();
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    view.deliver(frame(2, true));
    let Some(Message::Binary(bytes)) = next(&mut socket).await else {
        panic!("the forgotten pointer was sent")
    };
    assert_eq!(bytes[bytes.len() - 1], 2);
}
