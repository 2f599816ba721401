//! Identifier extraction on realistic chat messages: per message (ASCII, without digits,
//! and in forms that need folding), and throughput on 1 MB of mixed chat text.

use std::hint::black_box;

use casebot::nlu::extract::extract;
use casebot::nlu::mask::mask_text;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Messages of the kind people type into the widget, all under 200 bytes.
const MESSAGES: [&str; 12] = [
    "what's the status of my case?",
    "how do I change my address after I moved",
    "my receipt number is eac 21 900 12345",
    "Status of IOE-0912-345-678 please",
    "I filed an I-485 and an I-765 last March, when will I get my work permit?",
    "my A# is A12345678 and my account no. is 1234 5678 9012",
    "I lost my online access code, can you send it to jane.doe@example.org?",
    "call me at (555) 234-5678 about YSC219OO12345",
    "i got an RFE on 2024-03-05, how long do I have to respond?",
    "Es mi número de recibo EAC2190012345? ¿Cuánto tiempo tarda?",
    "my card says delivered, tracking 9205590153070156091024, but I didn't get it",
    "can I travel while my N-400 is pending? I paid $760 on 05/17/2024",
];

/// Messages that need folding: other scripts' digits, full-width forms, invisible separators.
const FOLDED_MESSAGES: [&str; 4] = [
    "\u{6211}\u{7684}\u{6536}\u{636e}\u{53f7}\u{662f}\u{ff25}\u{ff21}\u{ff23}\u{ff12}\u{ff11}\u{ff19}\u{ff10}\u{ff10}\u{ff11}\u{ff12}\u{ff13}\u{ff14}\u{ff15}\u{ff1f}",
    "\u{0631}\u{0642}\u{0645} A\u{0661}\u{0662}\u{0663}\u{0664}\u{0665}\u{0666}\u{0667}\u{0668} \u{0634}\u{0643}\u{0631}\u{0627}",
    "my account number is 1234\u{200b}5678\u{200b}9012, mail jos\u{e9}@correo.es",
    "ssn 123\u{2212}45\u{2212}6789 \u{1f468}\u{200d}\u{1f469}",
];

fn mixed_megabyte() -> String {
    let mut text = String::with_capacity(1 << 20);
    while text.len() < 1 << 20 {
        for message in MESSAGES {
            text.push_str(message);
            text.push('\n');
        }
    }
    text
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Elements(MESSAGES.len() as u64));
    group.bench_function("typical_message", |b| {
        b.iter(|| {
            for message in MESSAGES {
                black_box(extract(black_box(message)));
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("extract_no_digits");
    group.throughput(Throughput::Elements(2));
    group.bench_function("typical_message", |b| {
        b.iter(|| {
            black_box(extract(black_box(MESSAGES[0])));
            black_box(extract(black_box(MESSAGES[1])));
        })
    });
    group.finish();

    let mut group = c.benchmark_group("extract_folded");
    group.throughput(Throughput::Elements(FOLDED_MESSAGES.len() as u64));
    group.bench_function("typical_message", |b| {
        b.iter(|| {
            for message in FOLDED_MESSAGES {
                black_box(extract(black_box(message)));
            }
        })
    });
    group.finish();

    let text = mixed_megabyte();
    let mut group = c.benchmark_group("extract_mixed_1mb");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    group.bench_function("extract", |b| {
        b.iter(|| black_box(extract(black_box(&text))))
    });
    group.bench_function("mask_text", |b| {
        b.iter(|| black_box(mask_text(black_box(&text))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
