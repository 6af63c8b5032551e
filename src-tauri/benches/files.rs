//! `make bench`: file throughput over the WebRTC data channel on loopback,
//! beside raw TCP on loopback in the same run. The data channel figure is
//! the whole product path: two engines, the real signaling server, the
//! files runner reading, hashing, framing, sending under the send-buffer
//! limit, and the receiver writing to its temporary file, hashing and
//! giving it its name. Raw
//! TCP copies the same file with nothing else. Files live in `/dev/shm`
//! where there is one: this VM's disk varied from 56 to 345 MB/s between
//! runs and drowned the figure being measured.
//! It prints figures and asserts nothing about speed.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/peers/mod.rs"]
mod peers;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    InputRecorder, MemoryClipboard, downloads_of, establish, incoming_done, side_with, start_desk,
};
use lifeline_lib::session::engine::Command;
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_signaling::protocol::Role;

const SIZE: usize = 1 << 30;

fn write_file(path: &Path, size: usize) {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..size / block.len() {
        for byte in block.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *byte = x as u8;
        }
        file.write_all(&block).unwrap();
    }
}

/// The same number of bytes through one bare data channel between two
/// peers, 64 KiB messages, nothing read or written: the ceiling webrtc-rs
/// sets for the product path.
async fn bare_channel(size: usize) -> Duration {
    use lifeline_lib::peer::Incoming;
    let pair = peers::connected("files").await;
    let remote = pair.remote.clone();
    let receiver = tokio::spawn(async move {
        let mut got = 0;
        while got < size {
            match remote.next().await {
                Incoming::Message { data, .. } => got += data.len(),
                Incoming::Open => {}
                Incoming::Closed => break,
            }
        }
        got
    });
    let message = vec![7u8; 64 * 1024];
    let started = Instant::now();
    for _ in 0..size / message.len() {
        pair.local.send_bytes(&message).await.unwrap();
    }
    assert_eq!(receiver.await.unwrap(), size, "every byte arrived");
    started.elapsed()
}

/// The baseline: the file over plain TCP the way the fastest simple tool
/// would send it, blocking I/O on threads of its own and `std::io::copy`
/// (which uses `sendfile`/`splice` on Linux). No checksum.
async fn raw_tcp(source: &Path, target: &Path) -> Duration {
    let (source, target) = (source.to_owned(), target.to_owned());
    tokio::task::spawn_blocking(move || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let receiver = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut file = std::fs::File::create(&target).unwrap();
            std::io::copy(&mut socket, &mut file).unwrap();
        });
        let started = Instant::now();
        let mut socket = std::net::TcpStream::connect(addr).unwrap();
        let mut file = std::fs::File::open(&source).unwrap();
        std::io::copy(&mut file, &mut socket).unwrap();
        socket.shutdown(std::net::Shutdown::Write).unwrap();
        receiver.join().unwrap();
        started.elapsed()
    })
    .await
    .unwrap()
}

fn mb_per_s(bytes: usize, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let source = dir.path().join("random.bin");
    write_file(&source, SIZE);

    let tcp = raw_tcp(&source, &dir.path().join("tcp-copy.bin")).await;
    let bare = bare_channel(SIZE).await;

    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let (input, clip) = (InputRecorder::default(), MemoryClipboard::default());
    let client_dir = dir.path().join("client");
    let (client_link, client) = side_with(&url, Role::Client, &client_dir, &input, &clip);
    let (expert_link, expert) = side_with(&url, Role::Expert, &dir.path().join("e"), &input, &clip);
    let files: Scopes = [Scope::Files].into_iter().collect();
    establish(&client_link, &client, &expert_link, &expert, files, files).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    expert
        .command(Command::SendFiles {
            path: source.clone(),
            into: None,
        })
        .await
        .unwrap();
    incoming_done(&client).await;
    let channel = started.elapsed();
    let received = downloads_of(&client_dir).join("random.bin");
    assert_eq!(
        std::fs::metadata(&received).unwrap().len(),
        SIZE as u64,
        "the whole file arrived"
    );

    let (tcp_rate, channel_rate) = (mb_per_s(SIZE, tcp), mb_per_s(SIZE, channel));
    println!(
        "file throughput on loopback, 1 GiB of random data, file to file in {}:",
        dir.path()
            .parent()
            .map_or("?".into(), |p| p.display().to_string())
    );
    let bare_rate = mb_per_s(SIZE, bare);
    println!("  raw TCP (std::io::copy)         {tcp_rate:>8.1} MB/s  ({tcp:.2?}, no checksum)");
    println!("  bare data channel, no files     {bare_rate:>8.1} MB/s  ({bare:.2?})");
    println!(
        "  WebRTC data channel (Lifeline)  {channel_rate:>8.1} MB/s  ({channel:.2?}, SHA-256 checked)"
    );
    println!(
        "  Lifeline / raw TCP              {:>8.2}",
        channel_rate / tcp_rate
    );
    println!(
        "  Lifeline / bare data channel    {:>8.2}",
        channel_rate / bare_rate
    );
}
