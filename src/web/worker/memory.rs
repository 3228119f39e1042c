//! A worker that runs out of memory says so before it dies.
//!
//! A wasm module's memory stops growing at 4 GiB, or sooner where the browser allows less.
//! Rust then aborts, and the page only hears "RuntimeError: unreachable". This allocator
//! wraps the standard one and, when an allocation fails, first posts the page a crash note
//! naming the memory asked for and in use. It allocates nothing itself: the note is written
//! on the stack and handed to `postMessage` as a string slice.

use std::alloc::{GlobalAlloc, Layout, System};

use wasm_bindgen::prelude::*;

use crate::run::OUT_OF_MEMORY;

#[wasm_bindgen]
extern "C" {
    /// The worker global's `postMessage`, taking the protocol's JSON text.
    #[wasm_bindgen(js_name = postMessage)]
    fn post_text(text: &str);
}

struct Watched;

#[global_allocator]
static ALLOCATOR: Watched = Watched;

// SAFETY: every call goes to `System` with the caller's arguments; the failure note only reads
// the memory size and writes to a stack buffer.
unsafe impl GlobalAlloc for Watched {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        noted(unsafe { System.alloc(layout) }, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        noted(unsafe { System.alloc_zeroed(layout) }, layout.size())
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        noted(unsafe { System.realloc(ptr, layout, new_size) }, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Test hook: takes memory 64 MB at a time (reserved, never written, so the browser commits
/// none of it) until an allocation fails, which ends the worker as a real shortage would.
pub fn exhaust() {
    let mut taken: Vec<Vec<u8>> = vec![];
    loop {
        taken.push(Vec::with_capacity(64 << 20));
    }
}

fn noted(ptr: *mut u8, asked: usize) -> *mut u8 {
    if ptr.is_null() {
        let in_use = core::arch::wasm32::memory_size(0) * 65536;
        let mut note = Note::default();
        note.push("{\"Crashed\":{\"message\":\"");
        note.push(OUT_OF_MEMORY);
        note.push(" (it asked for ");
        note.megabytes(asked);
        note.push(" more with ");
        note.megabytes(in_use);
        note.push(" in use)\"}}");
        post_text(note.text());
    }
    ptr
}

/// A message built in a fixed buffer (the heap is what ran out).
struct Note {
    bytes: [u8; 256],
    len: usize,
}

impl Default for Note {
    fn default() -> Self {
        Note { bytes: [0; 256], len: 0 }
    }
}

impl Note {
    fn push(&mut self, text: &str) {
        let n = text.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&text.as_bytes()[..n]);
        self.len += n;
    }

    /// `bytes` as whole megabytes, e.g. `512 MB`.
    fn megabytes(&mut self, bytes: usize) {
        let mut digits = [0u8; 20];
        let (mut n, mut at) = (bytes.div_ceil(1 << 20), digits.len());
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(std::str::from_utf8(&digits[at..]).unwrap_or("?"));
        self.push(" MB");
    }

    fn text(&self) -> &str {
        // Only whole strings and ASCII digits were pushed, but a cut may split a character.
        match std::str::from_utf8(&self.bytes[..self.len]) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&self.bytes[..e.valid_up_to()]).unwrap_or(""),
        }
    }
}
