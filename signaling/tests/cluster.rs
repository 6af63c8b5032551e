//! A desk of two or more nodes sharing Redis: a client on one node and an
//! expert on another hold a request and a session exactly as on one node.
//! IDs are unique across nodes, the connect limits are the desk's, and an
//! expert's or client's leaving is seen on the other node.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::cluster::Desk;
use common::*;
use futures_util::future::join_all;

fn signal(session: &str, signal: &str) -> String {
    format!(r#"{{"type":"signal","session":"{session}","signal":{signal}}}"#)
}

const OFFER: &str = r#"{"kind":"offer","sdp":"v=0 offer"}"#;
const ANSWER: &str = r#"{"kind":"answer","sdp":"v=0 answer"}"#;
const ICE: &str = r#"{"kind":"ice","candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}"#;

fn connect(id: &str) -> String {
    format!(r#"{{"type":"connect","id":"{id}","notes":"","scopes":["view"]}}"#)
}

/// The expert's next message after pinging: a `pong` proves nothing else
/// was sent first.
async fn nothing_pending(ws: &mut Socket) {
    let next = exchange(ws, r#"{"type":"ping"}"#).await;
    assert_eq!(next["type"], "pong", "{next}");
}

#[tokio::test]
async fn a_client_and_an_expert_on_two_nodes_hold_a_whole_session() {
    let desk = Desk::start(2).await;
    desk.nodes[0].add_expert("ann", "Ann Expert").await;
    let (mut client, id) = client_with_id(desk.url(0)).await;
    let (mut expert, token) = signed_in_expert(desk.url(1), "ann").await;

    let located = exchange(
        &mut expert,
        &format!(
            r#"{{"type":"connect","id":"{id}","notes":"ticket 9","scopes":["view","control"]}}"#
        ),
    )
    .await;
    assert_eq!(located["type"], "located", "{located}");
    let session = located["session"].as_str().unwrap().to_owned();
    let asked = recv(&mut client).await;
    assert_eq!(asked["type"], "connect_request", "{asked}");
    assert_eq!(asked["session"], session.as_str());
    assert_eq!(asked["expert"], "Ann Expert");
    assert_eq!(asked["notes"], "ticket 9");

    send(
        &mut client,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view"]}}"#),
    )
    .await;
    for side in [&mut client, &mut expert] {
        let started = recv(side).await;
        assert_eq!(started["type"], "session_started", "{started}");
        assert_eq!(started["scopes"], serde_json::json!(["view"]));
    }

    // Signals cross the nodes both ways, in order.
    send(&mut expert, &signal(&session, OFFER)).await;
    for n in 0..20 {
        let ice = ICE.replace("5000", &(5000 + n).to_string());
        send(&mut expert, &signal(&session, &ice)).await;
    }
    let offer = recv(&mut client).await;
    assert_eq!(offer["signal"]["kind"], "offer", "{offer}");
    for n in 0..20 {
        let ice = recv(&mut client).await;
        let port = (5000 + n).to_string();
        assert!(
            ice["signal"]["candidate"].as_str().unwrap().contains(&port),
            "candidate {n} out of order: {ice}"
        );
    }
    send(&mut client, &signal(&session, ANSWER)).await;
    assert_eq!(recv(&mut expert).await["signal"]["kind"], "answer");

    // A wrong direction is refused across nodes as on one.
    let wrong = exchange(&mut client, &signal(&session, OFFER)).await;
    assert_eq!(wrong["code"], "wrong_role", "{wrong}");

    send(
        &mut expert,
        &format!(r#"{{"type":"connected","session":"{session}"}}"#),
    )
    .await;
    send(
        &mut expert,
        &format!(r#"{{"type":"bye","session":"{session}"}}"#),
    )
    .await;
    let left = recv(&mut client).await;
    assert_eq!(left["type"], "peer_left", "{left}");
    assert_eq!(left["reason"], "bye");
    nothing_pending(&mut expert).await;

    // One record, on the shared database, whichever node is asked.
    for node in [0, 1] {
        let (status, body) = desk.nodes[node].get("/api/sessions", Some(&token)).await;
        assert_eq!(status, 200, "{body}");
        let rows: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
        assert_eq!(rows[0]["outcome"], "accepted", "{rows}");
        assert_eq!(rows[0]["end_reason"], "expert_bye", "{rows}");
        assert!(!rows[0]["started_at_ms"].is_null());
    }
}

#[tokio::test]
async fn strangers_on_any_node_can_neither_read_nor_inject() {
    let desk = Desk::start(3).await;
    desk.nodes[0].add_expert("ann", "Ann").await;
    desk.nodes[0].add_expert("mallory", "Mallory").await;
    let (mut client, id) = client_with_id(desk.url(0)).await;
    let (mut expert, _) = signed_in_expert(desk.url(1), "ann").await;
    let session = accepted_session(&mut expert, &mut client, &id).await;

    for node in 0..3 {
        let (mut mallory, _) = signed_in_expert(desk.url(node), "mallory").await;
        let refused = exchange(&mut mallory, &signal(&session, OFFER)).await;
        assert_eq!(refused["code"], "no_such_session", "node {node}: {refused}");
        let refused = exchange(
            &mut mallory,
            &format!(r#"{{"type":"bye","session":"{session}"}}"#),
        )
        .await;
        assert_eq!(refused["code"], "no_such_session", "node {node}: {refused}");
    }
    nothing_pending(&mut client).await;
    nothing_pending(&mut expert).await;
}

#[tokio::test]
async fn each_connect_error_reads_the_same_from_another_node() {
    // The misses here are the test's own, all from one address.
    let desk = Desk::start_with(2, |c| c.limits.failures.free_failures = 1000).await;
    desk.nodes[0].add_expert("ann", "Ann").await;
    desk.nodes[0].add_expert("bob", "Bob").await;
    let (mut ann, _) = signed_in_expert(desk.url(1), "ann").await;
    let (mut bob, _) = signed_in_expert(desk.url(1), "bob").await;

    // Unknown.
    let (_, id) = client_with_id(desk.url(0)).await;
    let unknown = if id == "123456" { "654321" } else { "123456" };
    let refused = exchange(&mut ann, &connect(unknown)).await;
    assert_eq!(refused["code"], "id_unknown", "{refused}");

    // Busy: the client is already being asked by someone else.
    let (mut client, id) = client_with_id(desk.url(0)).await;
    let session = request(&mut ann, &mut client, &id, r#"["view"]"#).await;
    let refused = exchange(&mut bob, &connect(&id)).await;
    assert_eq!(refused["code"], "client_busy", "{refused}");

    // Declined.
    send(
        &mut client,
        &format!(r#"{{"type":"decline","session":"{session}"}}"#),
    )
    .await;
    let declined = recv(&mut ann).await;
    assert_eq!(declined["type"], "declined", "{declined}");

    // Superseded: the client took a new ID.
    let renewed = exchange(
        &mut client,
        r#"{"type":"request_id","description":"again","computer":{"name":"pc","os":"x","user":"u"}}"#,
    )
    .await;
    assert_eq!(renewed["type"], "id_issued", "{renewed}");
    let refused = exchange(&mut bob, &connect(&id)).await;
    assert_eq!(refused["code"], "id_superseded", "{refused}");

    // Used: a session started with it.
    let fresh = renewed["id"].as_str().unwrap().to_owned();
    let session = accepted_session(&mut bob, &mut client, &fresh).await;
    send(
        &mut bob,
        &format!(r#"{{"type":"bye","session":"{session}"}}"#),
    )
    .await;
    assert_eq!(recv(&mut client).await["type"], "peer_left");
    let refused = exchange(&mut ann, &connect(&fresh)).await;
    assert_eq!(refused["code"], "id_used", "{refused}");

    // Offline: the client's link dropped, within its grace.
    let (offline, id) = client_with_id(desk.url(0)).await;
    drop(offline);
    // Until its node has seen the drop, the request reaches it and is
    // cancelled as the link goes.
    let mut seen = Vec::new();
    for _ in 0..20 {
        let reply = exchange(&mut bob, &connect(&id)).await;
        if reply["type"] == "located" {
            let cancelled = recv(&mut bob).await;
            assert_eq!(cancelled["type"], "request_cancelled", "{cancelled}");
        }
        seen.push(reply.to_string());
        if reply["code"] == "client_offline" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen.last().unwrap().contains("client_offline"), "{seen:?}");
}

#[tokio::test]
async fn expired_ids_and_timed_out_requests_end_on_both_nodes() {
    let desk = Desk::start_with(2, |c| {
        c.id_lifetime = Duration::from_millis(400);
        c.consent_timeout = Duration::from_millis(300);
    })
    .await;
    desk.nodes[0].add_expert("ann", "Ann").await;
    let (mut ann, _) = signed_in_expert(desk.url(1), "ann").await;
    let (mut client, id) = client_with_id(desk.url(0)).await;
    request(&mut ann, &mut client, &id, r#"["view"]"#).await;
    assert_eq!(recv(&mut ann).await["type"], "request_timed_out");
    assert_eq!(recv(&mut client).await["type"], "request_timed_out");

    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = exchange(&mut ann, &connect(&id)).await;
    assert_eq!(refused["code"], "id_expired", "{refused}");
}

#[tokio::test]
async fn leaving_on_one_node_is_seen_on_the_other() {
    let desk = Desk::start(2).await;
    desk.nodes[0].add_expert("ann", "Ann").await;
    // The expert's link drops while asking: the client's dialog closes.
    let (mut client, id) = client_with_id(desk.url(0)).await;
    let (mut ann, _) = signed_in_expert(desk.url(1), "ann").await;
    let session = request(&mut ann, &mut client, &id, r#"["view"]"#).await;
    drop(ann);
    let cancelled = recv(&mut client).await;
    assert_eq!(cancelled["type"], "request_cancelled", "{cancelled}");
    assert_eq!(cancelled["session"], session.as_str());

    // The client cancels: the expert on the other node is told.
    let (mut ann, _) = signed_in_expert(desk.url(1), "ann").await;
    let (mut client, id) = client_with_id(desk.url(0)).await;
    let session = request(&mut ann, &mut client, &id, r#"["view"]"#).await;
    send(
        &mut client,
        &format!(r#"{{"type":"cancel","session":"{session}"}}"#),
    )
    .await;
    let cancelled = recv(&mut ann).await;
    assert_eq!(cancelled["type"], "request_cancelled", "{cancelled}");
}

#[tokio::test]
async fn a_side_reattaches_through_another_node() {
    let desk = Desk::start(3).await;
    desk.nodes[0].add_expert("ann", "Ann").await;
    let (mut client, id) = client_with_id(desk.url(0)).await;
    let (mut expert, _) = signed_in_expert(desk.url(1), "ann").await;
    let located = exchange(&mut expert, &connect(&id)).await;
    let session = located["session"].as_str().unwrap().to_owned();
    assert_eq!(recv(&mut client).await["type"], "connect_request");
    send(
        &mut client,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view"]}}"#),
    )
    .await;
    assert_eq!(recv(&mut client).await["type"], "session_started");
    let started = recv(&mut expert).await;
    let secret = started["reattach"].as_str().unwrap().to_owned();

    // The expert's link drops; the balancer sends it to a third node.
    drop(expert);
    let left = recv(&mut client).await;
    assert_eq!(left["type"], "peer_left", "{left}");
    assert_eq!(left["reason"], "disconnected");
    let (mut back, _) = signed_in_expert(desk.url(2), "ann").await;
    let reattached = exchange(
        &mut back,
        &format!(r#"{{"type":"reattach","session":"{session}","secret":"{secret}"}}"#),
    )
    .await;
    assert_eq!(reattached["type"], "reattached", "{reattached}");
    assert_eq!(recv(&mut client).await["type"], "peer_back");
    send(&mut client, &signal(&session, ICE)).await;
    assert_eq!(recv(&mut back).await["signal"]["kind"], "ice");
}

#[tokio::test]
async fn four_nodes_issuing_at_once_never_hand_out_one_id_twice() {
    const NODES: usize = 4;
    const CLIENTS: usize = 5;
    const EACH: usize = 100;
    let desk = Desk::start_with(NODES, |c| {
        c.limits.id_requests_per_minute = 100_000;
    })
    .await;
    let runs = (0..NODES * CLIENTS).map(|n| {
        let url = desk.url(n % NODES).to_owned();
        async move {
            let mut ws = hello(&url, "client").await;
            let mut ids = Vec::new();
            for _ in 0..EACH {
                let issued = exchange(
                    &mut ws,
                    r#"{"type":"request_id","description":"","computer":{"name":"pc","os":"x","user":"u"}}"#,
                )
                .await;
                assert_eq!(issued["type"], "id_issued", "{issued}");
                ids.push(issued["id"].as_str().unwrap().to_owned());
            }
            ids
        }
    });
    let all: Vec<String> = join_all(runs).await.into_iter().flatten().collect();
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), NODES * CLIENTS * EACH);
    assert_eq!(distinct.len(), all.len(), "an ID was issued twice");
}

#[tokio::test]
async fn guesses_spread_over_nodes_meet_the_limits_of_one() {
    let desk = Desk::start(3).await;
    desk.nodes[0].add_expert("mallory", "Mallory").await;
    let mut experts = Vec::new();
    for node in 0..3 {
        experts.push(signed_in_expert(desk.url(node), "mallory").await.0);
    }
    // Twenty guesses at once over three nodes: the free misses are three,
    // and the fourth waits; as on one node, at most four get through.
    let guesses = experts.iter_mut().enumerate().flat_map(|(node, ws)| {
        let first = u32::try_from(node).unwrap() * 7;
        let messages: Vec<String> = (0..7)
            .map(|n| connect(&format!("{:06}", 900_000 + first + n)))
            .collect();
        std::iter::once(async move {
            for message in &messages {
                send(ws, message).await;
            }
            let mut codes = Vec::new();
            for _ in &messages {
                codes.push(recv(ws).await["code"].as_str().unwrap().to_owned());
            }
            codes
        })
    });
    let codes: Vec<String> = join_all(guesses).await.into_iter().flatten().collect();
    let missed = codes.iter().filter(|c| *c == "id_unknown").count();
    let limited = codes.iter().filter(|c| *c == "rate_limited").count();
    assert_eq!(missed + limited, 21, "{codes:?}");
    assert_eq!(missed, 4, "{codes:?}");
}

#[tokio::test]
async fn each_node_reports_its_backends_and_its_traffic() {
    let desk = Desk::start(2).await;
    desk.nodes[0].add_expert("ann", "Ann").await;
    let (status, body) = desk.nodes[1].get("/healthz", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ok\n"), "{body}");
    assert!(body.contains("node: b-"), "{body}");
    assert!(body.contains("database: ok"), "{body}");
    assert!(body.contains("redis: ok ("), "{body}");

    let (mut client, id) = client_with_id(desk.url(0)).await;
    let (mut expert, _) = signed_in_expert(desk.url(1), "ann").await;
    request(&mut expert, &mut client, &id, r#"["view"]"#).await;
    let counter = |text: &str, name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    let (_, expert_side) = desk.nodes[1].get("/metrics", None).await;
    let (_, client_side) = desk.nodes[0].get("/metrics", None).await;
    assert!(
        expert_side.contains("lifeline_cluster_node{node=\"b-"),
        "{expert_side}"
    );
    assert_eq!(
        counter(&expert_side, "lifeline_cluster_calls_sent_total"),
        1
    );
    assert_eq!(
        counter(&client_side, "lifeline_cluster_calls_served_total"),
        1
    );
    assert_eq!(counter(&client_side, "lifeline_cluster_proxies"), 1);
    assert!(counter(&expert_side, "lifeline_cluster_delivered_total") >= 1);
}

#[tokio::test]
async fn policy_and_revocations_made_on_one_node_reach_the_others() {
    let desk = Desk::start(2).await;
    desk.nodes[0].add_admin("boss", "The Boss").await;
    desk.nodes[0].add_expert("ann", "Ann").await;
    let (mut ann, _) = signed_in_expert(desk.url(1), "ann").await;
    let (mut client, _) = client_with_id(desk.url(1)).await;

    let mut boss = common::console::Console::new(desk.nodes[0].addr);
    assert_eq!(boss.sign_in("boss", PASSWORD).await.status, 303);
    let saved = boss
        .submit(
            "/console/policy",
            "/console/policy",
            &[
                ("desk_name", "Acme IT Desk"),
                ("consent_timeout_secs", "300"),
                ("scope", "control"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    for side in [&mut ann, &mut client] {
        let told = recv(side).await;
        assert_eq!(told["type"], "policy", "{told}");
        assert_eq!(told["policy"]["desk_name"], "Acme IT Desk");
    }

    let disabled = boss
        .submit(
            "/console/experts",
            "/console/experts",
            &[("action", "disable"), ("user", "ann")],
        )
        .await;
    assert_eq!(disabled.status, 303, "{}", disabled.body);
    let told = recv(&mut ann).await;
    assert_eq!(told["type"], "signed_out", "{told}");
    assert_eq!(told["reason"], "revoked");
}
