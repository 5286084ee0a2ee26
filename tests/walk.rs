//! The topology walk over real Navi topologies (fixtures copied from sysfs
//! layouts), and a whole load/unload cycle against an in-memory model of
//! KFD's structs that renders sysfs text the way KFD's `mem_show()` does.

use rdna1_fg::logic::heap::DEFAULT_HEAP_MASK;
use rdna1_fg::logic::messages::{BankRef, Tally};
use rdna1_fg::logic::props::MemBankProps;
use rdna1_fg::logic::restore::{self, Restore};
use rdna1_fg::logic::rules::{BankAction, Config, RawParams};
use rdna1_fg::logic::walk::{walk, Outcome, SelectedNode, Topology, Visitor};
use std::fmt;
use std::path::{Path, PathBuf};

/// KFD's topology as structs: node text, and each bank's live fields.
struct Model {
    nodes: Vec<(String, Vec<MemBankProps>)>,
}

impl Model {
    /// Loads a fixture tree `tests/fixtures/<name>`.
    fn load(name: &str) -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let mut nodes = Vec::new();
        for n in 0.. {
            let dir = root.join(format!("nodes/{n}"));
            let Ok(text) = std::fs::read_to_string(dir.join("properties")) else {
                break;
            };
            let mut banks = Vec::new();
            for b in 0.. {
                let path: PathBuf = dir.join(format!("mem_banks/{b}/properties"));
                let Ok(bank) = std::fs::read_to_string(path) else {
                    break;
                };
                banks.push(MemBankProps::parse(&bank).expect("fixture bank parses"));
            }
            nodes.push((text, banks));
        }
        assert!(!nodes.is_empty(), "fixture {name} has no nodes");
        Self { nodes }
    }

    fn flags(&self, node: usize, bank: usize) -> u32 {
        self.nodes[node].1[bank].flags
    }
}

fn mem_show(p: &MemBankProps) -> String {
    format!(
        "heap_type {}\nsize_in_bytes {}\nflags {}\nwidth {}\nmem_clk_max {}\n",
        p.heap_type, p.size_in_bytes, p.flags, p.width, p.mem_clk_max
    )
}

fn copy_in<'b>(text: &str, buf: &'b mut [u8]) -> &'b str {
    let dest = &mut buf[..text.len()];
    dest.copy_from_slice(text.as_bytes());
    std::str::from_utf8(dest).unwrap()
}

impl Topology for Model {
    type Bank = (usize, usize);
    type Error = String;

    fn node_properties<'b>(
        &mut self,
        node: u32,
        buf: &'b mut [u8],
    ) -> Result<Option<&'b str>, String> {
        Ok(self
            .nodes
            .get(node as usize)
            .map(|(text, _)| copy_in(text, buf)))
    }

    fn bank_properties<'b>(
        &mut self,
        node: u32,
        bank: u32,
        buf: &'b mut [u8],
    ) -> Result<Option<((usize, usize), &'b str)>, String> {
        let (n, b) = (node as usize, bank as usize);
        let Some(p) = self.nodes.get(n).and_then(|(_, banks)| banks.get(b)) else {
            return Ok(None);
        };
        Ok(Some(((n, b), copy_in(&mem_show(p), buf))))
    }
}

/// What the kernel module does, against the model: patch and remember the
/// bits, then restore them.
#[derive(Default)]
struct Loader {
    writes: Vec<((usize, usize), u32)>,
    records: Vec<((usize, usize), u32)>,
    seen: Vec<(BankRef, BankAction)>,
    refused: Vec<String>,
}

impl Visitor<Model> for Loader {
    fn bank(
        &mut self,
        _: SelectedNode,
        at: BankRef,
        handle: (usize, usize),
        _: &MemBankProps,
        action: BankAction,
    ) -> Outcome {
        self.seen.push((at, action));
        match action {
            BankAction::Skip => Outcome::Ignored,
            BankAction::AlreadySet => Outcome::AlreadySet,
            BankAction::Patch { before, after } => {
                self.writes.push((handle, after));
                self.records
                    .push((handle, restore::bits_set(before, after)));
                Outcome::Patched
            }
        }
    }

    fn refused(&mut self, node: u32, bank: Option<u32>, reason: &dyn fmt::Display) {
        self.refused.push(format!("{node}/{bank:?}: {reason}"));
    }
}

fn config(device_id: u32, heap_mask: u32) -> Config {
    Config::from_params(RawParams {
        device_id,
        heap_mask,
        ..RawParams::default()
    })
    .unwrap()
}

/// Runs a load on `model`: walk, then apply the writes the visitor asked for.
fn load(model: &mut Model, config: &Config) -> (Tally, Loader) {
    let mut loader = Loader::default();
    let mut buf = vec![0u8; 8192];
    let tally = walk(model, config, &mut buf, &mut loader);
    for ((n, b), flags) in &loader.writes {
        model.nodes[*n].1[*b].flags = *flags;
    }
    (tally, loader)
}

/// Runs an unload: plan and apply each restore.
fn unload(model: &mut Model, loader: &Loader) -> Vec<Restore> {
    loader
        .records
        .iter()
        .map(|((n, b), bits)| {
            let plan = restore::plan(model.nodes[*n].1[*b].flags, *bits);
            if let Restore::Clear { after, .. } = plan {
                model.nodes[*n].1[*b].flags = after;
            }
            plan
        })
        .collect()
}

#[test]
fn rx5700xt_gpu_bank_is_patched_and_restored() {
    let mut model = Model::load("navi10-rx5700xt");
    let (tally, loader) = load(&mut model, &config(0x731F, DEFAULT_HEAP_MASK));
    assert_eq!(
        tally,
        Tally {
            nodes: 2,
            matched_nodes: 1,
            patched: 1,
            kept: 0,
            already_set: 0,
            refused: 0,
            short_nodes: 0,
        }
    );
    assert_eq!(model.flags(1, 0), 1);
    assert_eq!(model.flags(0, 0), 0, "the CPU node is not touched");
    assert_eq!(
        unload(&mut model, &loader),
        vec![Restore::Clear {
            before: 1,
            after: 0
        }]
    );
    assert_eq!(model.flags(1, 0), 0);
}

#[test]
fn a_bank_gone_mid_walk_leaves_its_node_short() {
    // KFD removed node 1's bank after the walk read the node's
    // mem_banks_count: the walk meets no bank 0 and says the node is short,
    // which makes the pass incomplete (logic::pass).
    let mut model = Model::load("navi10-rx5700xt");
    model.nodes[1].1.clear();
    let (tally, _) = load(&mut model, &config(0x731F, DEFAULT_HEAP_MASK));
    assert_eq!(
        (tally.matched_nodes, tally.patched, tally.short_nodes),
        (1, 0, 1)
    );
    // Every bank there: not short.
    let mut model = Model::load("navi10-and-navi21");
    let (tally, _) = load(&mut model, &config(0x731F, DEFAULT_HEAP_MASK));
    assert_eq!(tally.short_nodes, 0);
}

#[test]
fn small_bar_fb_private_bank_is_patched() {
    let mut model = Model::load("navi10-small-bar");
    let (tally, loader) = load(&mut model, &config(0x731F, DEFAULT_HEAP_MASK));
    assert_eq!(tally.patched, 1);
    assert_eq!(loader.seen[0].0.heap_type, 2);
    assert_eq!(model.flags(1, 0), 1);
}

#[test]
fn only_the_navi10_of_two_gpus_is_patched() {
    let mut model = Model::load("navi10-and-navi21");
    let (tally, _) = load(&mut model, &config(0x731F, DEFAULT_HEAP_MASK));
    assert_eq!((tally.nodes, tally.matched_nodes, tally.patched), (3, 1, 1));
    assert_eq!((model.flags(1, 0), model.flags(2, 0)), (1, 0));
}

#[test]
fn navi14_is_not_selected_by_default() {
    let mut model = Model::load("navi14-rx5500xt");
    let (tally, loader) = load(&mut model, &config(0x731F, DEFAULT_HEAP_MASK));
    assert_eq!((tally.nodes, tally.matched_nodes, tally.patched), (2, 0, 0));
    assert!(loader.seen.is_empty());
    // Selected explicitly, it is patched.
    let (tally, _) = load(&mut model, &config(0x7340, DEFAULT_HEAP_MASK));
    assert_eq!(tally.patched, 1);
}

#[test]
fn heap_mask_limits_the_banks() {
    let mut model = Model::load("navi10-small-bar");
    // FB_PUBLIC only: the small-BAR GPU's FB_PRIVATE bank is left alone.
    let (tally, loader) = load(&mut model, &config(0x731F, 1 << 1));
    assert_eq!((tally.matched_nodes, tally.patched), (1, 0));
    assert!(loader.seen.is_empty());
    assert_eq!(model.flags(1, 0), 0);
}

#[test]
fn cpu_node_with_system_heap_is_what_the_vm_tests_drive() {
    let mut model = Model::load("navi10-rx5700xt");
    let (tally, loader) = load(&mut model, &config(0, 1));
    assert_eq!((tally.matched_nodes, tally.patched), (1, 1));
    assert_eq!((model.flags(0, 0), model.flags(1, 0)), (1, 0));
    unload(&mut model, &loader);
    assert_eq!(model.flags(0, 0), 0);
}

#[test]
fn preset_bits_survive_a_load_unload_cycle() {
    let mut model = Model::load("navi10-preset-bits");
    // Bank 0: HOT_PLUGGABLE already set. Bank 1: NON_VOLATILE set, ours not.
    assert_eq!((model.flags(1, 0), model.flags(1, 1)), (0x1, 0x2));
    let (tally, loader) = load(&mut model, &config(0x731F, DEFAULT_HEAP_MASK));
    assert_eq!((tally.patched, tally.already_set), (1, 1));
    assert_eq!(
        loader.seen[0].1,
        BankAction::AlreadySet,
        "reported as already set, not patched"
    );
    assert_eq!(
        loader.records,
        vec![((1, 1), 0x1)],
        "only bank 1's bit is recorded"
    );
    assert_eq!((model.flags(1, 0), model.flags(1, 1)), (0x1, 0x3));

    unload(&mut model, &loader);
    assert_eq!(
        (model.flags(1, 0), model.flags(1, 1)),
        (0x1, 0x2),
        "the preset bit and NON_VOLATILE stay, only our bit is cleared"
    );
}
