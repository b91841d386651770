//! Akeyless tasks for Azure Pipelines.
//!
//! Every decision lives in this crate: reading the agent's inputs and service connections,
//! talking to the Akeyless API, masking and formatting `##vso` logging commands. The crate
//! never performs I/O itself; it asks a [`host::Host`] for it. This file holds only the wasm
//! entry points the JavaScript host calls.

pub mod agent;
pub mod akeyless;
pub mod grammar;
pub mod host;
pub mod identity;
pub mod keys;
pub mod network;
pub mod tasks;

#[cfg(target_arch = "wasm32")]
mod wasm_entry {
    use std::cell::RefCell;

    use wasm_bindgen::prelude::wasm_bindgen;

    use crate::host::JsHost;

    thread_local! {
        /// Where the last panic happened, so the host can name it after the wasm trap.
        static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    /// Runs the task `task_name` to completion, writing its output through `host`.
    #[wasm_bindgen(js_name = runTask)]
    pub async fn run_task(task_name: String, host: JsHost) {
        note_panic_locations();
        crate::tasks::run(&task_name, &host).await;
        host.flush_lines();
    }

    /// Runs the post-job step of the task `task_name` to completion.
    #[wasm_bindgen(js_name = runPostJob)]
    pub async fn run_post_job(task_name: String, host: JsHost) {
        note_panic_locations();
        crate::tasks::run_post_job(&task_name, &host).await;
        host.flush_lines();
    }

    /// Keeps only a panic's location: its payload could quote data the task was handling.
    fn note_panic_locations() {
        std::panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map(|at| format!("{}:{}", at.file(), at.line()));
            PANIC_LOCATION.with(|slot| *slot.borrow_mut() = location);
        }));
    }

    /// The source location of the panic that aborted `runTask`, if there was one.
    #[wasm_bindgen(js_name = panicLocation)]
    pub fn panic_location() -> Option<String> {
        PANIC_LOCATION.with(|slot| slot.borrow().clone())
    }

    /// Whether `runTask` was aborted because memory ran out.
    #[wasm_bindgen(js_name = allocationFailed)]
    pub fn allocation_failed() -> bool {
        super::allocation::FAILED.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The allocator, watched: when memory runs out (a reply far too large to hold), Rust aborts
/// with a bare wasm trap that says nothing, and no panic hook runs. Noting the failure lets
/// the host tell the pipeline author what happened instead of "internal error".
#[cfg(target_arch = "wasm32")]
mod allocation {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicBool, Ordering};

    pub static FAILED: AtomicBool = AtomicBool::new(false);

    /// The system allocator, noting every allocation it could not make.
    struct Watched;

    fn noted(pointer: *mut u8) -> *mut u8 {
        if pointer.is_null() {
            FAILED.store(true, Ordering::Relaxed);
        }
        pointer
    }

    // SAFETY: every call is passed on unchanged to the system allocator, which upholds the
    // `GlobalAlloc` contract; only a null result is looked at.
    unsafe impl GlobalAlloc for Watched {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            noted(System.alloc(layout))
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            noted(System.alloc_zeroed(layout))
        }

        unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            noted(System.realloc(pointer, layout, new_size))
        }

        unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
            System.dealloc(pointer, layout);
        }
    }

    #[global_allocator]
    static ALLOCATOR: Watched = Watched;
}
