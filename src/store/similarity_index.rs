//! The in-memory index of past requests' signatures, for finding the
//! candidates a new request is scored against (MinHash bands, see
//! `core::similarity`). Built at start from the `case_signatures` table
//! and caught up from it before each lookup, so it survives restarts
//! without a rebuild of the signatures and sees cases another instance
//! opened.
//!
//! Layout, for a national-scale history in little memory: every
//! signature's words in one arena (the whole request's terms first, for a
//! quick overlap check, then each question's); per band a sorted array of
//! (key, document) pairs searched by bisection, plus a short unsorted tail
//! for recent inserts that is merged in when it grows.

use std::collections::HashMap;

use crate::core::similarity::{band_keys, jaccard, Signature, TermWeights, Terms, BANDS};

/// Inserts kept unsorted before a band is re-sorted (at least; the tail
/// may grow to an eighth of the sorted part, so loading stays n log n).
const TAIL: usize = 4096;

/// A band key shared by more documents than this says no more than a stop
/// word does (a common term's MinHash); its documents are not candidates.
const CROWDED: usize = 500;

#[derive(Debug, Default)]
pub struct SimilarityIndex {
    /// Case id and where its signature starts in `arena`.
    docs: Vec<(i64, u32)>,
    /// Each signature: the whole request's term count and terms, then
    /// its words (`Signature::to_words`).
    arena: Vec<u32>,
    bands: Vec<Band>,
    /// Case id to its document.
    known: HashMap<i64, u32>,
    /// Document frequencies of the terms, for weighting them.
    pub weights: TermWeights,
    /// The highest case id loaded, where catching up starts.
    pub high_water: i64,
}

#[derive(Debug, Default)]
struct Band {
    sorted: Vec<(u32, u32)>,
    tail: Vec<(u32, u32)>,
}

impl Band {
    fn insert(&mut self, key: u32, doc: u32) {
        self.tail.push((key, doc));
        if self.tail.len() >= TAIL.max(self.sorted.len() / 8) {
            self.finish();
        }
    }

    fn finish(&mut self) {
        self.sorted.append(&mut self.tail);
        self.sorted.sort_unstable();
    }

    fn docs_with(&self, key: u32, out: &mut Vec<u32>) {
        let start = self.sorted.partition_point(|(k, _)| *k < key);
        let end = start
            + self
                .sorted
                .get(start..)
                .map_or(0, |rest| rest.partition_point(|(k, _)| *k == key));
        let in_tail = self.tail.iter().filter(|(k, _)| *k == key);
        if end - start + in_tail.clone().count() > CROWDED {
            return;
        }
        out.extend(
            self.sorted
                .get(start..end)
                .unwrap_or(&[])
                .iter()
                .map(|(_, d)| *d),
        );
        out.extend(in_tail.map(|(_, d)| *d));
    }
}

impl SimilarityIndex {
    pub fn new() -> SimilarityIndex {
        SimilarityIndex {
            bands: (0..BANDS).map(|_| Band::default()).collect(),
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Adds a case's signature (again is a no-op).
    pub fn insert(&mut self, case_id: i64, signature: &Signature) {
        self.high_water = self.high_water.max(case_id);
        if self.known.contains_key(&case_id) {
            return;
        }
        let Some(keys) = band_keys(&signature.request) else {
            return;
        };
        let doc = self.docs.len() as u32;
        self.known.insert(case_id, doc);
        self.weights.add(&signature.request);
        self.docs.push((case_id, self.arena.len() as u32));
        self.arena.push(signature.request.len() as u32);
        self.arena.extend_from_slice(signature.request.as_slice());
        signature.to_words(&mut self.arena);
        for (band, key) in self.bands.iter_mut().zip(keys) {
            band.insert(key, doc);
        }
    }

    /// Sorts what bulk loading left in the tails.
    pub fn finish(&mut self) {
        for band in &mut self.bands {
            band.finish();
        }
    }

    /// Cases sharing at least one band with `terms` and at least
    /// `min_overlap` of their terms (Jaccard index, checked in place before
    /// anything is decoded), with their signatures; `exclude` is the new
    /// case itself.
    pub fn candidates(
        &self,
        terms: &Terms,
        exclude: Option<i64>,
        min_overlap: f64,
    ) -> Vec<(i64, Signature)> {
        let Some(keys) = band_keys(terms) else {
            return Vec::new();
        };
        let mut docs = Vec::new();
        for (band, key) in self.bands.iter().zip(keys) {
            band.docs_with(key, &mut docs);
        }
        docs.sort_unstable();
        docs.dedup();
        docs.into_iter()
            .filter_map(|d| self.docs.get(d as usize))
            .filter(|(case, _)| Some(*case) != exclude)
            .filter(|(_, at)| {
                self.union_at(*at)
                    .is_some_and(|u| jaccard(terms.as_slice(), u) >= min_overlap)
            })
            .filter_map(|(case, at)| Some((*case, self.signature_at(*at)?)))
            .collect()
    }

    /// The whole request's terms of the signature at `at`.
    fn union_at(&self, at: u32) -> Option<&[u32]> {
        let i = at as usize;
        let n = *self.arena.get(i)? as usize;
        self.arena.get(i + 1..i + 1 + n)
    }

    /// The signature of an indexed case.
    pub fn signature(&self, case_id: i64) -> Option<Signature> {
        let doc = self.known.get(&case_id)?;
        let (_, at) = self.docs.get(*doc as usize)?;
        self.signature_at(*at)
    }

    /// Every indexed case and its signature (the naive scan the
    /// benchmark compares with).
    pub fn all(&self) -> impl Iterator<Item = (i64, Signature)> + '_ {
        self.docs
            .iter()
            .filter_map(|(case, at)| Some((*case, self.signature_at(*at)?)))
    }

    fn signature_at(&self, at: u32) -> Option<Signature> {
        let i = at as usize;
        let start = i + 1 + *self.arena.get(i)? as usize;
        Signature::from_words(&mut self.arena.get(start..)?.iter().copied())
    }

    /// Bytes held, for the benchmark.
    pub fn heap_bytes(&self) -> usize {
        self.docs.capacity() * std::mem::size_of::<(i64, u32)>()
            + self.arena.capacity() * 4
            + self
                .bands
                .iter()
                .map(|b| (b.sorted.capacity() + b.tail.capacity()) * 8)
                .sum::<usize>()
            + self.known.capacity() * (std::mem::size_of::<(i64, u32)>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::similarity::terms;

    fn sig(texts: &[&str]) -> Signature {
        Signature::from_questions(texts.iter().map(|t| terms(t)).collect())
    }

    /// A letters-only word for `n` (digits are not terms).
    fn word(mut n: i64) -> String {
        let mut w = String::new();
        while n > 0 {
            w.push(char::from(b'a' + (n % 26) as u8));
            n /= 26;
        }
        w
    }

    #[test]
    fn finds_alike_requests_and_not_others() {
        let mut index = SimilarityIndex::new();
        let potholes = sig(&[
            "compensation claims vehicle damage potholes",
            "amount paid claims",
        ]);
        index.insert(1, &potholes);
        index.insert(2, &sig(&["library opening hours", "volunteers libraries"]));
        for n in 3..(TAIL as i64 + 10) {
            let w = word(n);
            index.insert(n, &sig(&[&format!("zq{w} xv{w} jk{w}")]));
        }
        index.insert(1, &potholes);
        assert_eq!(index.len(), TAIL + 9, "inserting again adds nothing");
        let probe = sig(&[
            "claims compensation potholes damage vehicles",
            "claims paid",
        ]);
        let found: Vec<i64> = index
            .candidates(&probe.request, None, 0.1)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(found, vec![1]);
        assert_eq!(index.signature(1), Some(potholes));
        assert!(index.candidates(&probe.request, Some(1), 0.1).is_empty());
        assert_eq!(index.high_water, TAIL as i64 + 9);
    }
}
