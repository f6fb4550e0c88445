//! Captures: `sstsim trace --format pcap` read back with independent
//! parsers — the pcapng reader of `pcap-parser`, Ethernet/IPv4/UDP by hand
//! from their RFC layouts, and SIP by `rsip` — and checked row for row
//! against the trace CSV of the same run.

use std::path::{Path, PathBuf};
use std::process::Command;

use pcap_parser::pcapng::Block;
use rsip::headers::UntypedHeader;
use rsip::message::{HasHeaders, HeadersExt};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn sstsim(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(args)
        .output()
        .expect("run sstsim");
    assert!(
        out.status.success(),
        "sstsim {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sstsim-pcap-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `sstsim trace models/basic.toml --format pcap` into a fresh directory:
/// the file and what sstsim said.
fn basic_call(name: &str) -> (PathBuf, Vec<u8>) {
    let pcap = tmp(name).join("call.pcap");
    let model = format!("{ROOT}/models/basic.toml");
    let said = sstsim(&[
        "trace",
        &model,
        "--format",
        "pcap",
        "--out",
        pcap.to_str().unwrap(),
    ]);
    (pcap, said)
}

/// One captured packet, decoded.
#[derive(Debug)]
struct Decoded {
    t_ns: u64,
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    comment: String,
    sip: String,
}

/// Reads a pcapng file: one Ethernet interface with nanosecond
/// timestamps, then IPv4/UDP packets whose lengths and IPv4 header
/// checksum are consistent.
fn read_capture(path: &Path) -> Vec<Decoded> {
    let bytes = std::fs::read(path).unwrap();
    let (rest, cap) = pcap_parser::parse_pcapng(&bytes).expect("a pcapng file");
    assert!(rest.is_empty());
    let mut out = Vec::new();
    let mut tsresol = None;
    for block in cap.sections.iter().flat_map(|s| &s.blocks) {
        match block {
            Block::InterfaceDescription(idb) => {
                assert_eq!(idb.linktype, pcap_parser::Linktype::ETHERNET);
                tsresol = idb.if_tsresol().map(|r| r.unwrap());
            }
            Block::EnhancedPacket(epb) => {
                assert_eq!(tsresol, Some(9), "nanosecond timestamps");
                let frame = &epb.data[..epb.caplen as usize];
                assert_eq!(epb.caplen, epb.origlen);
                // Ethernet II: 6 + 6 bytes of addresses, EtherType 0x0800.
                assert_eq!(&frame[12..14], &[0x08, 0x00]);
                let ip = &frame[14..];
                // IPv4: version 4, IHL 5, protocol 17 (UDP), total length.
                assert_eq!(ip[0], 0x45);
                assert_eq!(ip[9], 17);
                let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
                assert_eq!(total, ip.len());
                // The header's one's-complement sum, checksum included, is 0xffff.
                let sum: u32 = ip[..20]
                    .chunks(2)
                    .map(|w| u16::from_be_bytes([w[0], w[1]]) as u32)
                    .sum();
                let folded = (sum & 0xffff) + (sum >> 16);
                assert_eq!((folded & 0xffff) + (folded >> 16), 0xffff);
                let udp = &ip[20..];
                let udp_len = u16::from_be_bytes([udp[4], udp[5]]) as usize;
                assert_eq!(udp_len, udp.len());
                let comment = epb
                    .options
                    .iter()
                    .find(|o| o.code == pcap_parser::pcapng::OptionCode::Comment)
                    .map(|o| {
                        String::from_utf8_lossy(&o.value)
                            .trim_end_matches('\0')
                            .to_string()
                    })
                    .unwrap_or_default();
                out.push(Decoded {
                    t_ns: (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low),
                    src: (
                        ip[12..16].try_into().unwrap(),
                        u16::from_be_bytes([udp[0], udp[1]]),
                    ),
                    dst: (
                        ip[16..20].try_into().unwrap(),
                        u16::from_be_bytes([udp[2], udp[3]]),
                    ),
                    comment,
                    sip: String::from_utf8(udp[8..].to_vec()).unwrap(),
                });
            }
            _ => {}
        }
    }
    out
}

/// The value of a header `rsip` does not type (Session-Expires, Min-SE, …).
fn other(msg: &rsip::SipMessage, name: &str) -> Option<String> {
    msg.headers().iter().find_map(|h| match h {
        rsip::Header::Other(n, v) if n.eq_ignore_ascii_case(name) => Some(v.trim().to_string()),
        _ => None,
    })
}

fn typed(msg: &rsip::SipMessage, header: &str) -> Vec<String> {
    msg.headers()
        .iter()
        .filter_map(|h| {
            let s = h.to_string();
            let (n, v) = s.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(header)
                .then(|| v.trim().to_string())
        })
        .collect()
}

#[test]
fn every_packet_of_a_traced_call_parses_and_matches_the_trace_csv() {
    let model = format!("{ROOT}/models/basic.toml");
    let (pcap, said) = basic_call("basic");
    let packets = read_capture(&pcap);
    assert!(
        String::from_utf8(said)
            .unwrap()
            .contains(&format!("wrote {} packets", packets.len()))
    );
    let csv = String::from_utf8(sstsim(&["trace", &model, "--format", "csv"])).unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |r: &csv::StringRecord, name: &str| {
        r[header.iter().position(|h| h == name).unwrap()].to_string()
    };
    let messages: Vec<csv::StringRecord> = rows
        .records()
        .map(Result::unwrap)
        .filter(|r| col(r, "kind") == "message")
        .collect();
    assert_eq!(
        packets.len(),
        messages.len(),
        "one packet per traced message"
    );
    assert!(packets.len() > 10);
    for (p, row) in packets.iter().zip(&messages) {
        let msg = rsip::SipMessage::try_from(p.sip.as_str())
            .unwrap_or_else(|e| panic!("{e:?}: {}", p.sip));
        // Time: the send time, to the microsecond the CSV prints.
        let t: f64 = col(row, "t_s").parse().unwrap();
        assert!((p.t_ns as f64 / 1e9 - t).abs() < 1e-6, "{} vs {t}", p.t_ns);
        let label = col(row, "message");
        match &msg {
            rsip::SipMessage::Request(r) => assert_eq!(r.method.to_string(), label),
            rsip::SipMessage::Response(r) => {
                assert_eq!(
                    label.split(' ').next().unwrap(),
                    r.status_code.code().to_string()
                )
            }
        }
        assert_eq!(msg.cseq_header().unwrap().value(), col(row, "cseq"));
        let call_id = msg.call_id_header().unwrap().value().to_string();
        assert_eq!(
            call_id,
            format!("{:x}@sstsim", col(row, "call_id").parse::<u64>().unwrap())
        );
        let se = other(&msg, "Session-Expires");
        let (se_value, refresher) = match &se {
            Some(v) => match v.split_once(";refresher=") {
                Some((a, b)) => (a.to_string(), b.to_string()),
                None => (v.clone(), String::new()),
            },
            None => (String::new(), String::new()),
        };
        assert_eq!(se_value, col(row, "session_expires"), "{}", p.sip);
        assert_eq!(refresher, col(row, "refresher"));
        assert_eq!(
            other(&msg, "Min-SE").unwrap_or_default(),
            col(row, "min_se")
        );
        let has = |h: &str| {
            typed(&msg, h)
                .iter()
                .any(|v| v.split(',').any(|t| t.trim() == "timer"))
        };
        assert_eq!(has("Supported").to_string(), col(row, "supported_timer"));
        assert_eq!(has("Require").to_string(), col(row, "require_timer"));
        // A lost message is in the capture once, as its sender sent it.
        assert_eq!(
            p.comment.contains("LOST"),
            col(row, "fate") != "delivered",
            "{}",
            p.comment
        );
        assert!(p.comment.starts_with(&format!(
            "call 0: {} -> {}",
            col(row, "from"),
            col(row, "to")
        )));
        // Each message goes from its sender's address to its next hop's.
        assert_eq!(p.src.1, 5060);
        assert_eq!(p.dst.1, 5060);
        assert_ne!(p.src.0, p.dst.0);
    }
}

#[test]
fn captures_are_byte_identical_across_runs_and_a_vantage_sees_its_own_traffic() {
    let d = tmp("same");
    let model = format!("{ROOT}/models/basic.toml");
    let write = |name: &str, extra: &[&str]| {
        let f = d.join(name);
        let mut args = vec![
            "trace",
            &model,
            "--format",
            "pcap",
            "--out",
            f.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        sstsim(&args);
        f
    };
    let a = std::fs::read(write("a.pcap", &["--all-calls"])).unwrap();
    let b = std::fs::read(write("b.pcap", &["--all-calls"])).unwrap();
    assert_eq!(a, b);
    // alice (10.0.0.1, node 0 of basic.toml) sees what she sent and what
    // reached her: every packet has her address at one end, the packets
    // she sent are those the network capture shows from her, and the ones
    // she received carry "received".
    let all = read_capture(&d.join("a.pcap"));
    let alice = read_capture(&write("alice.pcap", &["--all-calls", "--vantage", "alice"]));
    let me = [10, 0, 0, 1];
    assert!(alice.iter().all(|p| p.src.0 == me || p.dst.0 == me));
    let sent = |ps: &[Decoded]| {
        ps.iter()
            .filter(|p| p.src.0 == me)
            .map(|p| p.t_ns)
            .collect::<Vec<_>>()
    };
    assert_eq!(sent(&alice), sent(&all));
    let received_delivered = all
        .iter()
        .filter(|p| p.dst.0 == me && !p.comment.contains("LOST"))
        .count();
    assert_eq!(
        alice
            .iter()
            .filter(|p| p.comment.contains("received"))
            .count(),
        received_delivered
    );
    // A bad vantage or a missing --out is a usage error (exit 2).
    let out = Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args([
            "trace",
            &model,
            "--format",
            "pcap",
            "--out",
            "x.pcap",
            "--vantage",
            "carol",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--vantage carol: no such node"));
    let out = Command::new(env!("CARGO_BIN_EXE_sstsim"))
        .args(["trace", &model, "--format", "pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn tshark_dissects_every_packet_as_sip_with_the_session_timer_fields() {
    // CI installs tshark and sets SSTSIM_REQUIRE_TSHARK; elsewhere the test
    // runs when tshark is on PATH.
    let found = Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("SSTSIM_REQUIRE_TSHARK").is_none(),
            "SSTSIM_REQUIRE_TSHARK is set but tshark is not on PATH"
        );
        eprintln!("no tshark on PATH: dissection test skipped");
        return;
    }
    let (pcap, _) = basic_call("tshark");
    let out = Command::new("tshark")
        .args([
            "-r",
            pcap.to_str().unwrap(),
            "-Y",
            "sip",
            "-T",
            "fields",
            "-E",
            "separator=|",
        ])
        .args([
            "-e",
            "sip.CSeq",
            "-e",
            "sip.Session-Expires",
            "-e",
            "sip.Min-SE",
            "-e",
            "sip.Call-ID",
        ])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    // Every packet is dissected as SIP, with the fields our reader found.
    let ours = read_capture(&pcap);
    assert_eq!(lines.len(), ours.len());
    for (line, p) in lines.iter().zip(&ours) {
        let f: Vec<&str> = line.split('|').collect();
        let msg = rsip::SipMessage::try_from(p.sip.as_str()).unwrap();
        assert_eq!(f[0], msg.cseq_header().unwrap().value());
        assert_eq!(f[1], other(&msg, "Session-Expires").unwrap_or_default());
        assert_eq!(f[2], other(&msg, "Min-SE").unwrap_or_default());
        assert_eq!(f[3], msg.call_id_header().unwrap().value());
    }
    assert!(lines.iter().any(|l| l.contains("|120;refresher=uas|")));
}

#[test]
fn a_run_captures_only_the_calls_asked_for() {
    // call-crash.toml: 10% of calls lose an endpoint. --pcap-calls dead
    // keeps exactly the calls dialogs.csv marks dead (those with a dead_s),
    // and every packet of the full capture belongs to some call.
    let d = tmp("run");
    let model = format!("{ROOT}/models/call-crash.toml");
    let dead = d.join("dead.pcap");
    let dialogs = d.join("dialogs.csv");
    sstsim(&[
        "run",
        &model,
        "--pcap",
        dead.to_str().unwrap(),
        "--pcap-calls",
        "dead",
        "--dialogs",
        dialogs.to_str().unwrap(),
    ]);
    let call_of = |p: &Decoded| -> u32 {
        p.comment
            .strip_prefix("call ")
            .and_then(|c| c.split(':').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}", p.comment))
    };
    let captured: std::collections::BTreeSet<u32> =
        read_capture(&dead).iter().map(call_of).collect();
    let mut rows = csv::Reader::from_path(&dialogs).unwrap();
    let dead_calls: std::collections::BTreeSet<u32> = rows
        .records()
        .map(Result::unwrap)
        .filter(|r| !r[4].is_empty())
        .map(|r| r[0].parse().unwrap())
        .collect();
    assert!(!captured.is_empty());
    assert_eq!(captured, dead_calls);
}

#[test]
fn a_node_address_is_checked_and_used() {
    let model = std::fs::read_to_string(format!("{ROOT}/models/basic.toml")).unwrap();
    let with = |addr: &str| {
        model.replacen(
            "id = \"bob\"",
            &format!("id = \"bob\"\naddress = \"{addr}\""),
            1,
        )
    };
    for (addr, says) in [
        (
            "10.0.0.1:5060",
            "10.0.0.1:5060 is also node alice's address",
        ),
        ("bob.example.com", "is not an IPv4 address and port"),
    ] {
        let e = sstsim::scenario::model_from_str("m.toml", &with(addr))
            .expect_err(addr)
            .to_string();
        assert!(e.contains("node.bob.address") && e.contains(says), "{e}");
    }
    // bob at 192.0.2.10:5070: every packet to or from bob uses it.
    let d = tmp("address");
    let file = d.join("m.toml");
    std::fs::write(&file, with("192.0.2.10:5070")).unwrap();
    let pcap = d.join("c.pcap");
    sstsim(&[
        "trace",
        file.to_str().unwrap(),
        "--format",
        "pcap",
        "--out",
        pcap.to_str().unwrap(),
    ]);
    let packets = read_capture(&pcap);
    let bob = ([192, 0, 2, 10], 5070);
    assert!(packets.iter().any(|p| p.dst == bob));
    assert!(
        packets
            .iter()
            .filter(|p| p.sip.starts_with("SIP/2.0 200"))
            .any(|p| p.src == bob)
    );
    assert!(
        packets
            .iter()
            .all(|p| p.src.0 != [10, 0, 0, 4] && p.dst.0 != [10, 0, 0, 4])
    );
}
