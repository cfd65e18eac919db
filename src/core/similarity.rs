//! How alike two requests are, in a way that survives rewording.
//!
//! Method (calibrated on `tests/fixtures/similarity/pairs.toml`):
//!
//! 1. **Terms.** Each question becomes a set of content terms: words
//!    lowercased; stop words and FOI boilerplate ("please provide", "the
//!    number of", "financial year") dropped; numbers and years dropped, so
//!    a request re-sent a year later with its years moved on still matches;
//!    council synonyms mapped to one word (car/vehicle, refuse/waste,
//!    expenditure/spend, penalty charge notice/fine); Snowball-stemmed, so
//!    "claims", "claimed" and "claim" are one term. Terms are stored as
//!    32-bit hashes, sorted.
//! 2. **Score.** Two requests are compared question by question: each
//!    question of one is paired with its best match in the other (Jaccard
//!    index of their terms), and the request score is the mean of the
//!    best matches over the questions of both, each question weighted by
//!    its number of terms. A request asking the same things in other
//!    words, order or numbering scores high; one on the same topic asking
//!    something else scores low, because its questions find no partner.
//!    The whole-request Jaccard index is kept beside it as evidence.
//!    Each question pair's match is scored down when the questions'
//!    foci (`core::focus`: the kind of answer, and the thing counted or
//!    paid for) say they ask for different things: the one word in which
//!    a near miss differs is often that one.
//! 3. **Candidates.** A MinHash of the whole request's terms, cut into
//!    [`BANDS`] bands of [`ROWS`] rows, gives keys under which an index
//!    finds past requests sharing a band (locality-sensitive hashing), so
//!    a new request is scored against a handful of candidates, not the
//!    whole history. With 2 rows and 20 bands a pair whose term sets have
//!    Jaccard 0.3 shares a band with probability 0.86, 0.4 with 0.97.
//!
//! Pure: no I/O; the index and the lookup of candidates are the store's.

use std::collections::HashMap;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

use super::focus::{self, Focus};
use super::questions::Question;

/// The version of the method that makes signatures: raised whenever a
/// change (to the terms, the thesaurus, the foci) makes a stored signature
/// differ from the one the same request would get now, so that the daemon
/// makes the stored ones again (`daemon::similarity::resign_if_outdated`).
/// 2: the question foci.
pub const SIGNATURE_VERSION: u32 = 2;

/// Bands and rows of the MinHash used for candidate search.
pub const BANDS: usize = 20;
pub const ROWS: usize = 2;

/// Set on the question count of a signature's words when each question
/// carries its focus.
const WITH_FOCUS: u32 = 1 << 31;

/// A text's content terms: hashes, sorted and unique.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms(Vec<u32>);

impl Terms {
    pub fn from_hashes(mut hashes: Vec<u32>) -> Terms {
        hashes.sort_unstable();
        hashes.dedup();
        Terms(hashes)
    }

    pub fn as_slice(&self) -> &[u32] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Terms in both.
    pub fn shared(&self, other: &Terms) -> usize {
        shared(&self.0, &other.0)
    }

    /// The Jaccard index: shared terms over all terms (0 when both are empty).
    pub fn jaccard(&self, other: &Terms) -> f64 {
        jaccard(&self.0, &other.0)
    }

    fn union(parts: &[Terms]) -> Terms {
        Terms::from_hashes(parts.iter().flat_map(|t| t.0.iter().copied()).collect())
    }
}

/// The Jaccard index of two sorted, unique slices.
pub fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    let both = shared(a, b);
    let either = a.len() + b.len() - both;
    if either == 0 {
        0.0
    } else {
        both as f64 / either as f64
    }
}

fn shared(a: &[u32], b: &[u32]) -> usize {
    let mut n = 0;
    each_shared(a, b, |_| n += 1);
    n
}

/// Calls `f` with each term in both sorted slices.
fn each_shared(a: &[u32], b: &[u32], mut f: impl FnMut(u32)) {
    let (mut i, mut j) = (0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                f(*x);
                i += 1;
                j += 1;
            }
        }
    }
}

/// What a request is compared by: its questions' terms and their union.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signature {
    pub request: Terms,
    pub questions: Vec<Terms>,
    /// What each question asks for, one beside each of `questions`
    /// (`Focus::default()`, unknown, in a signature stored before foci).
    pub focus: Vec<Focus>,
}

impl Signature {
    /// From the request's questions (their parts and options included), or
    /// its text when it has none. The subject is not used ("FOI request"
    /// says nothing), nor are the other lines: tried on the calibration
    /// pairs, the standard wording of lead-ins and closing requests made
    /// different requests alike more often than it told them apart.
    pub fn of_request(questions: &[Question], text: &str) -> Signature {
        let asked: Vec<String> = questions
            .iter()
            .map(|q| {
                let mut all = q.text.clone();
                for p in &q.parts {
                    all.push('\n');
                    all.push_str(&p.text);
                }
                for o in &q.options {
                    all.push('\n');
                    all.push_str(o);
                }
                all
            })
            .collect();
        let mut made: Vec<(Terms, Focus)> = asked.iter().filter_map(|q| asked_terms(q)).collect();
        // A request whose questions say nothing is compared by its text.
        if made.is_empty() {
            made.extend(asked_terms(text));
        }
        let (per_question, focus): (Vec<Terms>, Vec<Focus>) = made.into_iter().unzip();
        Signature {
            focus,
            ..Signature::from_questions(per_question)
        }
    }

    /// The bytes kept in the database: [`Signature::to_words`] as
    /// little-endian u32.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut words = Vec::new();
        self.to_words(&mut words);
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Reads [`Signature::to_bytes`]; `None` if the bytes are not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Signature> {
        if bytes.len() % 4 != 0 {
            return None;
        }
        let mut words = bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let signature = Signature::from_words(&mut words)?;
        words.next().is_none().then_some(signature)
    }

    /// The question count (with [`WITH_FOCUS`] set), then per question its
    /// term count, its terms, and its focus in two words: the kinds of
    /// answer with bit 8 set when there is a head, and the head (or 0).
    pub fn to_words(&self, out: &mut Vec<u32>) {
        out.push(self.questions.len() as u32 | WITH_FOCUS);
        for (i, q) in self.questions.iter().enumerate() {
            let f = self.focus.get(i).copied().unwrap_or_default();
            out.push(q.len() as u32);
            out.extend_from_slice(q.as_slice());
            out.push(u32::from(f.kinds) | (u32::from(f.head.is_some()) << 8));
            out.push(f.head.unwrap_or(0));
        }
    }

    /// Reads one signature's [`Signature::to_words`] off `words`; also
    /// those stored before foci were (no [`WITH_FOCUS`] bit, no focus words).
    pub fn from_words(words: &mut impl Iterator<Item = u32>) -> Option<Signature> {
        let first = words.next()?;
        let with_focus = first & WITH_FOCUS != 0;
        let mut questions = Vec::new();
        let mut focus = Vec::new();
        for _ in 0..first & !WITH_FOCUS {
            let n = words.next()? as usize;
            let hashes: Vec<u32> = words.take(n).collect();
            if hashes.len() != n {
                return None;
            }
            questions.push(Terms::from_hashes(hashes));
            focus.push(if with_focus {
                let (kinds, head) = (words.next()?, words.next()?);
                Focus {
                    kinds: (kinds & 0xff) as u8,
                    head: (kinds & 0x100 != 0).then_some(head),
                }
            } else {
                Focus::default()
            });
        }
        Some(Signature {
            focus,
            ..Signature::from_questions(questions)
        })
    }

    pub fn from_questions(questions: Vec<Terms>) -> Signature {
        Signature {
            request: Terms::union(&questions),
            focus: vec![Focus::default(); questions.len()],
            questions,
        }
    }
}

/// Two requests compared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    /// 0 to 1: the weighted mean of each question's best match.
    pub score: f64,
    /// The Jaccard index of the whole requests' terms.
    pub overall: f64,
    /// Questions of the new request that match one of the earlier request
    /// (positions, 0-based) with their score, best first.
    pub matches: Vec<QuestionMatch>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuestionMatch {
    pub new: usize,
    pub old: usize,
    pub score: f64,
}

/// Compares a new request with an earlier one; `question_threshold` is
/// the score at which two questions are reported as asking the same.
pub fn compare(
    new: &Signature,
    old: &Signature,
    question_threshold: f64,
    weights: &TermWeights,
) -> Comparison {
    let overall = weights.jaccard(&new.request, &old.request);
    let new_w: Vec<f64> = new.questions.iter().map(|q| weights.total(q)).collect();
    let old_w: Vec<f64> = old.questions.iter().map(|q| weights.total(q)).collect();
    // Every pair once: scores[i * old + j].
    let width = old.questions.len();
    let mut scores = Vec::with_capacity(new.questions.len() * width);
    for (i, (q, wq)) in new.questions.iter().zip(&new_w).enumerate() {
        for (j, (o, wo)) in old.questions.iter().zip(&old_w).enumerate() {
            let mut score = question_score(q, o, *wq, *wo, weights);
            if let (Some(fq), Some(fo)) = (new.focus.get(i), old.focus.get(j)) {
                score *= focus::agreement(fq, q.as_slice(), fo, o.as_slice());
            }
            scores.push(score);
        }
    }
    let at = |i: usize, j: usize| scores.get(i * width + j).copied().unwrap_or(0.0);
    let best_of = |pairs: &mut dyn Iterator<Item = (usize, f64)>| {
        pairs.fold((0, 0.0), |acc, x| if x.1 > acc.1 { x } else { acc })
    };
    let mut weighted = 0.0;
    let mut weight = 0.0;
    let mut matches = Vec::new();
    for (i, w) in new_w.iter().enumerate() {
        let (j, s) = best_of(&mut (0..width).map(|j| (j, at(i, j))));
        weighted += s * w;
        weight += w;
        if s >= question_threshold {
            matches.push(QuestionMatch {
                new: i,
                old: j,
                score: s,
            });
        }
    }
    for (j, w) in old_w.iter().enumerate() {
        let (_, s) = best_of(&mut (0..new_w.len()).map(|i| (i, at(i, j))));
        weighted += s * w;
        weight += w;
    }
    matches.sort_by(|a, b| b.score.total_cmp(&a.score));
    Comparison {
        score: if weight == 0.0 {
            0.0
        } else {
            weighted / weight
        },
        overall,
        matches,
    }
}

/// Two questions (with their total weights): the weighted Jaccard index,
/// raised when one's terms are nearly all in the other (a question with a
/// qualifier added is the same ask).
fn question_score(a: &Terms, b: &Terms, wa: f64, wb: f64, weights: &TermWeights) -> f64 {
    let smaller = wa.min(wb);
    if smaller <= 0.0 {
        return 0.0;
    }
    let (count, both) = weights.shared(a, b);
    let either = wa + wb - both;
    let jaccard = if either <= 0.0 { 0.0 } else { both / either };
    // Containment alone would make a short question match any long one.
    if count >= 3 && a.len().min(b.len()) >= 4 {
        jaccard.max(0.8 * both / smaller)
    } else {
        jaccard
    }
}

/// How much each term tells requests apart: its inverse document
/// frequency over the requests the council holds, so that wording every
/// request shares ("if any part is refused", "in a spreadsheet") counts
/// for little and the subject ("payroll", "graffiti") for much. With few
/// requests held every term weighs about the same.
#[derive(Debug, Clone, Default)]
pub struct TermWeights {
    documents: u32,
    frequency: HashMap<u32, u32, std::hash::BuildHasherDefault<TermHasher>>,
}

/// Terms are already well-mixed hashes: the map need not hash them again.
#[derive(Debug, Default)]
pub struct TermHasher(u64);

impl std::hash::Hasher for TermHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = mix(u64::from(n));
    }
}

impl TermWeights {
    /// Counts one more request's terms.
    pub fn add(&mut self, terms: &Terms) {
        self.documents += 1;
        for t in terms.as_slice() {
            *self.frequency.entry(*t).or_insert(0) += 1;
        }
    }

    pub fn weight(&self, term: u32) -> f64 {
        let df = self.frequency.get(&term).copied().unwrap_or(0);
        (1.0 + f64::from(self.documents + 1) / f64::from(df + 1)).ln()
    }

    fn total(&self, t: &Terms) -> f64 {
        t.as_slice().iter().map(|x| self.weight(*x)).sum()
    }

    /// Terms in both: how many, and their weight.
    fn shared(&self, a: &Terms, b: &Terms) -> (usize, f64) {
        let (mut n, mut sum) = (0, 0.0);
        each_shared(a.as_slice(), b.as_slice(), |t| {
            n += 1;
            sum += self.weight(t);
        });
        (n, sum)
    }

    /// The weighted Jaccard index.
    pub fn jaccard(&self, a: &Terms, b: &Terms) -> f64 {
        let (_, both) = self.shared(a, b);
        let either = self.total(a) + self.total(b) - both;
        if either <= 0.0 {
            0.0
        } else {
            both / either
        }
    }
}

/// The MinHash band keys of a term set (empty sets have none).
pub fn band_keys(terms: &Terms) -> Option<[u32; BANDS]> {
    if terms.is_empty() {
        return None;
    }
    let mut keys = [0u32; BANDS];
    for (band, key) in keys.iter_mut().enumerate() {
        let mut h = FNV_OFFSET ^ band as u64;
        for row in 0..ROWS {
            let seed = SEEDS[band * ROWS + row];
            let min = terms
                .as_slice()
                .iter()
                .map(|t| mix(u64::from(*t) ^ seed))
                .min()
                .unwrap_or(0);
            h = (h ^ min).wrapping_mul(FNV_PRIME);
        }
        *key = (h ^ (h >> 32)) as u32;
    }
    Some(keys)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The MinHash functions' seeds: fixed, since keys are compared across
/// restarts and versions.
const SEEDS: [u64; BANDS * ROWS] = {
    let mut seeds = [0u64; BANDS * ROWS];
    let mut i = 0;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while i < BANDS * ROWS {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        seeds[i] = x;
        i += 1;
    }
    seeds
};

/// SplitMix64's finaliser: a fast, well-mixed hash of a 64-bit value.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a, folded to 32 bits: a term's stored hash (stable forever).
fn term_hash(term: &str) -> u32 {
    let mut h = FNV_OFFSET;
    for b in term.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
    }
    (h ^ (h >> 32)) as u32
}

/// What is asked in `text`: its terms and its focus (`None`: no terms).
fn asked_terms(text: &str) -> Option<(Terms, Focus)> {
    let text = normalised(text);
    let terms = terms_of(&text);
    let focus = focus::of_question(&text, |w| word_term(w).map(|t| term_hash(&t)));
    (!terms.is_empty()).then_some((terms, focus))
}

/// A text's content terms.
pub fn terms(text: &str) -> Terms {
    terms_of(&normalised(text))
}

fn terms_of(normalised: &str) -> Terms {
    Terms::from_hashes(words_of(normalised).iter().map(|w| term_hash(w)).collect())
}

/// The content terms as words, for tests and for showing why two match.
pub fn term_words(text: &str) -> Vec<String> {
    words_of(&normalised(text))
}

fn words_of(normalised: &str) -> Vec<String> {
    let mut out: Vec<String> = normalised
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter_map(word_term)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Lowercased, with curly apostrophes straight and [`PHRASES`] made words.
fn normalised(text: &str) -> String {
    let mut lower = text.to_lowercase().replace(['’', '‘'], "'");
    for (phrase, one) in PHRASES {
        if lower.contains(phrase) {
            lower = lower.replace(phrase, one);
        }
    }
    lower
}

/// One lowercased word's term, if it is a content word.
fn word_term(word: &str) -> Option<String> {
    let w = word.trim_matches('\'');
    let w = w.strip_suffix("'s").unwrap_or(w);
    if w.len() <= 1 || w.chars().any(|c| c.is_ascii_digit()) || STOP_WORDS.contains(w) {
        return None;
    }
    let stem = STEMMER
        .stem(SYNONYMS.get(w).copied().unwrap_or(w))
        .into_owned();
    (!STOP_STEMS.contains(&stem.as_str())).then_some(stem)
}

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Phrases that name one thing, made one word before splitting.
const PHRASES: &[(&str, &str)] = &[
    ("penalty charge notices", "fine"),
    ("penalty charge notice", "fine"),
    ("parking tickets", "fine"),
    ("parking ticket", "fine"),
    ("fixed penalty notices", "fine"),
    ("fixed penalty notice", "fine"),
    ("fly-tipping", "flytipping"),
    ("fly tipping", "flytipping"),
    ("car parks", "carpark"),
    ("car park", "carpark"),
    ("council tax", "counciltax"),
    ("business rates", "businessrates"),
    ("social workers", "socialworker"),
    ("social worker", "socialworker"),
    ("agency workers", "agency"),
    ("agency staff", "agency"),
    ("temporary accommodation", "temporaryaccommodation"),
    ("bed and breakfast", "temporaryaccommodation"),
    ("b&b", "temporaryaccommodation"),
    ("street lights", "streetlight"),
    ("street lighting", "streetlight"),
    ("streetlights", "streetlight"),
    ("dog fouling", "dogfouling"),
    ("freedom of information", " "),
    ("information governance", "informationgovernance"),
    ("ev charging", "evcharg"),
    ("electric vehicle charging", "evcharg"),
    ("charge points", "evcharg"),
    ("charging points", "evcharg"),
    ("chargepoints", "evcharg"),
];

/// Words that mean the same thing in a council's requests: each line is
/// the word kept, then the words mapped to it.
const SYNONYM_LINES: &str = "
vehicle: car cars vehicles motor motorist motorists motorcar
road: roads highway highways carriageway carriageways street streets
pavement: pavements footway footways footpath footpaths sidewalk
waste: refuse rubbish bin bins garbage litter
spend: spent spending expenditure expenditures cost costs costed paid payments payment outlay
staff: employee employees workforce personnel worker workers staffing
repair: repaired repairs repairing fix fixed fixing mend mended
contract: contracts contractor contractors supplier suppliers vendor vendors
consultant: consultants consultancy consultancies adviser advisers
councillor: councillors member members elected
house: housing homes home houses dwelling dwellings properties property
homeless: homelessness rough sleeping sleepers
software: system systems application applications package packages platform platforms
licence: licences license licenses licensed licensing permit permits
salary: salaries pay remuneration wage wages earnings
senior: chief director directors executive executives
receive: received receiving got submitted made lodged logged reported
fine: fines penalty penalties pcn pcns
compensation: payout payouts damages
complaint: complaints grievance grievances
school: schools academy academies
child: children child's kids young
empty: vacant unoccupied
tree: trees
fell: felled felling removed cut
allowance: allowances expenses expense
budget: budgets allocated allocation
prosecution: prosecutions prosecuted court
library: libraries
closure: closures closed close closing
grit: gritting gritted salt salting salted deicing de-icing
gritter: gritters spreader spreaders
length: kilometre kilometres kilometer kilometers km kms mile miles
tonne: tonnes ton tons
quantity: amount amounts volume volumes
claim: claims claimant claimants
accept: accepted successful upheld approved
pothole: potholes defect defects
lorry: lorries truck trucks van vans
lease: leased leases leasing hired rented
elderly: older pensioner pensioners
people: person persons individuals individual residents resident
premises: business businesses establishments establishment outlets
disabled: disability disabilities
enforcement: enforce enforced enforcing
inspection: inspections inspected inspect
cctv: camera cameras surveillance
sickness: sick absence absences
redundancy: redundancies severance
tenant: tenants tenancy tenancies leaseholder leaseholders
arrears: debt debts owed
eviction: evictions evicted evict
vacancy: vacancies unfilled
recruit: recruited recruitment recruiting hiring
invoice: invoices bill bills billed
procure: procured procurement purchase purchased purchasing bought
energy: electricity gas
charge: charges fee fees charged tariff tariffs
collect: collection collections collected
recycle: recycling recycled recyclable
foster: fostering fosterer fosterers
adopt: adoption adoptions adopted
exclude: exclusion exclusions excluded expelled
weekly: week weeks
monthly: month months
annual: annually yearly year years
";

static SYNONYMS: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for line in SYNONYM_LINES.lines() {
        if let Some((one, words)) = line.split_once(':') {
            for w in words.split_whitespace() {
                map.insert(w, one.trim());
            }
        }
    }
    map
});

/// English stop words, then the boilerplate of FOI requests.
const STOP_WORD_TEXT: &str = "
a about above after again all also am an and any are as at be because been
before being below between both but by can could did do does doing done down
during each either etc for from further had has have having he her here hers
him his how i i'd i'm if in into is it its itself just me more most my myself
no nor not now of off on once only or other our ours out over own same she
should so some such than that the their theirs them then there these they this
those through to too under until up very was we were what when where which
while who whom why will with would you your yours yes please kindly thank
thanks dear sir madam faithfully sincerely regards hello hi many much within
per via since ago whether whose let like able get us shall may might must
let's don't didn't i've we've it's there's what's ie eg e.g i.e one two three
four five six seven eight nine ten first second third last next previous past
current recent latest
foi foia eir information request requests requested requesting act provide
provided providing send supply disclose confirm tell know advise state share
wish want ask asking asked question questions following follows regarding
relating related relation respect concerning council councils authority
authority's borough county district city metropolitan unitary local your
number numbers total totals amount amounts figure figures data detail details
breakdown broken list copy copies record records recorded hold held year years
yearly annual annually month months monthly week weeks day days financial
calendar period periods date dates time including include includes included
e-mail email format electronic spreadsheet csv excel january february march
april june july august september october november december jan feb mar apr jun
jul aug sep sept oct nov dec thereof respectively separately overall possible
available applicable relevant specific specifically particular regard stated
also again already attached below above mentioned previously earlier original
resend resending re-send re-sending whatdotheyknow wdtk
";

static STOP_WORDS: LazyLock<std::collections::HashSet<&'static str>> =
    LazyLock::new(|| STOP_WORD_TEXT.split_whitespace().collect());

/// Stems too general to tell requests apart once stemmed.
const STOP_STEMS: &[&str] = &["use", "make", "give", "take", "see", "seek", "hope", "look"];

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(questions: &[&str]) -> Signature {
        let qs: Vec<Question> = questions
            .iter()
            .enumerate()
            .map(|(i, t)| Question {
                number: i as u32 + 1,
                text: (*t).to_string(),
                options: vec![],
                parts: vec![],
            })
            .collect();
        Signature::of_request(&qs, "")
    }

    #[test]
    fn rewording_keeps_the_terms() {
        let a = term_words("How many compensation claims were received for vehicle damage caused by potholes in 2023?");
        let b = term_words("Please provide the number of claims made for damage to cars caused by potholes during 2024.");
        let shared: Vec<&String> = a.iter().filter(|w| b.contains(w)).collect();
        assert!(shared.len() >= 4, "{a:?} / {b:?}");
        assert!(
            !a.iter().any(|w| w.contains("2023")),
            "years are dropped: {a:?}"
        );
    }

    #[test]
    fn same_questions_score_high_and_near_misses_low() {
        let old = sig(&[
            "How many claims for compensation for damage to vehicles caused by potholes did you receive?",
            "How much was paid out on those claims?",
        ]);
        let reworded = sig(&[
            "The amount paid in compensation on pothole damage claims.",
            "The number of claims received for car damage caused by potholes.",
        ]);
        let near_miss = sig(&[
            "How many potholes were reported on roads in the borough?",
            "How many of them were repaired within 24 hours?",
        ]);
        let same = compare(&reworded, &old, 0.5, &TermWeights::default());
        let other = compare(&near_miss, &old, 0.5, &TermWeights::default());
        assert!(same.score > 0.5, "{same:?}");
        assert!(other.score < 0.3, "{other:?}");
        assert!(same.score > other.score + 0.25);
        assert!(same.matches.iter().any(|m| m.new == 1 && m.old == 0));
        // The amount paid is not the number of claims, though it shares
        // their words (`core::focus`).
        assert!(!same.matches.iter().any(|m| m.new == 0 && m.old == 0));
    }

    #[test]
    fn signatures_round_trip_through_bytes() {
        let s = sig(&[
            "How many trees were felled?",
            "Which contractor felled them?",
        ]);
        let back = Signature::from_bytes(&s.to_bytes()).expect("reads");
        assert_eq!(back, s);
        assert!(s.focus.iter().all(|f| f.kinds != 0), "{:?}", s.focus);
        // Stored before foci: count, then term counts and terms only.
        let old: Vec<u8> = [1u32, 2, 7, 9]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        let read = Signature::from_bytes(&old).expect("reads the first format");
        assert_eq!(read.questions, vec![Terms::from_hashes(vec![7, 9])]);
        assert_eq!(read.focus, vec![Focus::default()]);
        assert!(Signature::from_bytes(&[1, 0, 0]).is_none());
        assert!(Signature::from_bytes(&[1, 0, 0, 0, 9, 0, 0, 0]).is_none());
    }

    #[test]
    fn band_keys_are_stable_and_shared_by_alike_sets() {
        let a = terms("pothole compensation claims vehicle damage paid");
        let b = terms("pothole compensation claims vehicle damage paid amount");
        let c = terms("library opening hours staff volunteers");
        let (ka, kb, kc) = (
            band_keys(&a).expect("keys"),
            band_keys(&b).expect("keys"),
            band_keys(&c).expect("keys"),
        );
        assert_eq!(band_keys(&a), Some(ka), "deterministic");
        assert!(ka.iter().zip(kb.iter()).any(|(x, y)| x == y));
        assert!(!ka.iter().zip(kc.iter()).any(|(x, y)| x == y));
        assert_eq!(band_keys(&Terms::default()), None);
    }
}
