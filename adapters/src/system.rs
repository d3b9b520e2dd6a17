//! The clock, id and secret generators the server runs with.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use application::ports::{Clock, IdGenerator, RandomChoice, SecretGenerator};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use domain::id::ObjectId;
use domain::identity::{ApiKeyKind, ApiKeySecret};
use domain::values::WebhookSecret;
use rand::rngs::OsRng;
use rand::{RngCore, TryRngCore};

/// The system clock, to the millisecond (what storage keeps).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(3)
    }
}

/// A clock that stands still until it is told to move: the engine and its tests run on it, so that
/// a DST switch or a sequence of many days is played through in moments.
#[derive(Debug)]
pub struct SimulatedClock {
    now: Mutex<DateTime<Utc>>,
}

impl SimulatedClock {
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(at.trunc_subsecs(3)),
        }
    }

    /// Moves the clock to `at` (backwards too: a test may replay a moment).
    pub fn set(&self, at: DateTime<Utc>) {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = at.trunc_subsecs(3);
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = (*now + by).trunc_subsecs(3);
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Ids in the ObjectId layout: 4-byte big-endian seconds, 5 random bytes drawn once per process, a
/// 3-byte counter that starts at a random value.
///
/// Ids from one process strictly increase: seconds and counter advance together as one 56-bit number,
/// so a counter that wraps within a second carries into the seconds (borrowing the next second rather
/// than repeating or going back), and a clock that steps back never makes an id smaller.
#[derive(Debug, Default)]
pub struct ObjectIdGenerator;

const COUNTER_BITS: u32 = 24;
const COUNTER_MASK: u64 = (1 << COUNTER_BITS) - 1;

/// (seconds << 24 | counter) of the last id this process made; 0 before the first.
static LAST: AtomicU64 = AtomicU64::new(0);

/// This process's 5 random bytes and the counter's random start.
fn process_seed() -> &'static ([u8; 5], u64) {
    static SEED: OnceLock<([u8; 5], u64)> = OnceLock::new();
    SEED.get_or_init(|| {
        let mut bytes = [0u8; 8];
        OsRng.unwrap_err().fill_bytes(&mut bytes);
        let random = [bytes[0], bytes[1], bytes[2], bytes[3], bytes[4]];
        let counter = u64::from_be_bytes([0, 0, 0, 0, 0, bytes[5], bytes[6], bytes[7]]);
        (random, counter)
    })
}

impl IdGenerator for ObjectIdGenerator {
    fn new_id(&self) -> ObjectId {
        let (random, counter_start) = *process_seed();
        let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
        let mut last = LAST.load(Ordering::Relaxed);
        let next = loop {
            let next = if last == 0 {
                (now << COUNTER_BITS) | counter_start
            } else if now > last >> COUNTER_BITS {
                // A new second: keep counting, under the new second.
                (now << COUNTER_BITS) | ((last + 1) & COUNTER_MASK)
            } else {
                last + 1
            };
            match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break next,
                Err(current) => last = current,
            }
        };
        let seconds = u32::try_from(next >> COUNTER_BITS).unwrap_or(u32::MAX);
        // The mask keeps 24 bits, which always fit.
        let counter = u32::try_from(next & COUNTER_MASK).unwrap_or(0);
        ObjectId::from_parts(seconds, random, counter)
    }
}

/// Secrets from the operating system's cryptographically secure generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsSecretGenerator;

impl OsSecretGenerator {
    /// `N` bytes from the OS generator. Without it no secret can be made safely, so its failure panics
    /// (it does not fail on any supported platform).
    fn bytes<const N: usize>() -> [u8; N] {
        let mut bytes = [0u8; N];
        OsRng.unwrap_err().fill_bytes(&mut bytes);
        bytes
    }
}

impl SecretGenerator for OsSecretGenerator {
    fn webhook_secret(&self) -> WebhookSecret {
        WebhookSecret::from_random_bytes(Self::bytes())
    }

    fn api_key(&self, kind: ApiKeyKind) -> ApiKeySecret {
        ApiKeySecret::from_random_bytes(kind, Self::bytes())
    }
}

/// Uniform choices from a thread-local generator seeded by the operating system.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadRandomChoice;

impl RandomChoice for ThreadRandomChoice {
    fn below(&self, count: usize) -> usize {
        if count == 0 {
            return 0;
        }
        rand::random_range(0..count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_choices_stay_below_the_count_and_reach_every_value() {
        let mut seen = [false; 3];
        for _ in 0..1_000 {
            seen[ThreadRandomChoice.below(3)] = true;
        }
        assert_eq!(seen, [true; 3]);
        assert_eq!(ThreadRandomChoice.below(0), 0);
        assert_eq!(ThreadRandomChoice.below(1), 0);
    }

    #[test]
    fn ids_from_one_process_strictly_increase() {
        let generator = ObjectIdGenerator;
        let mut previous = generator.new_id();
        for _ in 0..100_000 {
            let next = generator.new_id();
            assert!(next > previous, "{next:?} after {previous:?}");
            previous = next;
        }
    }

    #[test]
    fn ids_share_the_process_random_bytes_and_carry_the_current_second() {
        let generator = ObjectIdGenerator;
        let (first, second) = (generator.new_id(), generator.new_id());
        assert_eq!(first.bytes()[4..9], second.bytes()[4..9]);
        let now = u32::try_from(Utc::now().timestamp()).expect("fits until 2106");
        assert!(now.abs_diff(first.seconds()) <= 1);
    }

    #[test]
    fn secrets_have_their_documented_shapes_and_differ() {
        let secrets = OsSecretGenerator;
        let webhook = secrets.webhook_secret();
        assert!(webhook.as_str().starts_with("whsec_"));
        assert_eq!(webhook.as_str().len(), "whsec_".len() + 64);
        assert_ne!(webhook, secrets.webhook_secret());
        let key = secrets.api_key(ApiKeyKind::Platform);
        assert!(key.expose().starts_with("sk_user_"));
        assert_ne!(key, secrets.api_key(ApiKeyKind::Platform));
    }

    #[test]
    fn clock_keeps_milliseconds_only() {
        let now = SystemClock.now();
        assert_eq!(now.timestamp_subsec_nanos() % 1_000_000, 0);
    }

    #[test]
    fn a_simulated_clock_stands_still_until_moved_to_the_millisecond() {
        let start = DateTime::from_timestamp(1_796_634_000, 123_456_789).expect("a time");
        let clock = SimulatedClock::starting_at(start);
        let first = clock.now();
        assert_eq!(first.timestamp_millis(), 1_796_634_000_123);
        assert_eq!(clock.now(), first, "it does not move by itself");
        clock.advance(Duration::days(3));
        assert_eq!(clock.now(), first + Duration::days(3));
        clock.set(start);
        assert_eq!(clock.now(), first);
    }
}
