// SPDX-License-Identifier: GPL-2.0

//! `rdna1-fg explain`: what `HOT_PLUGGABLE` changes for user space and what
//! it does not, and the environment variables people meet, each with the
//! source it rests on. Text and JSON come from the same table.
//!
//! The ROCm references were read in ROCm/ROCR-Runtime at commit c7785a6
//! (2024-10-23; libhsakmt lives in that repository) and ROCm/clr at commit
//! f9f995c (2024-10-22). Keep every sentence here to what those sources show.

use serde::Serialize;
use std::fmt::Write as _;

/// One topic.
#[derive(Debug, Serialize)]
pub struct Topic {
    /// Short id, for scripts.
    pub id: &'static str,
    /// Heading.
    pub title: &'static str,
    /// Paragraphs.
    pub text: &'static [&'static str],
    /// Where it is written in source.
    pub references: &'static [Reference],
}

/// A place in a source tree.
#[derive(Debug, Serialize)]
pub struct Reference {
    /// Project.
    pub project: &'static str,
    /// File in it.
    pub file: &'static str,
    /// Function, type or macro.
    pub symbol: &'static str,
}

const fn r(project: &'static str, file: &'static str, symbol: &'static str) -> Reference {
    Reference {
        project,
        file,
        symbol,
    }
}

const LINUX: &str = "Linux";
const ROCR: &str = "ROCm/ROCR-Runtime";

/// The topics, in reading order.
pub const TOPICS: &[Topic] = &[
    Topic {
        id: "flag",
        title: "The flag",
        text: &[
            "HSA_MEM_FLAGS_HOT_PLUGGABLE (0x1) is bit 0 of a memory bank's `flags` in KFD's \
topology, /sys/class/kfd/kfd/topology/nodes/N/mem_banks/M/properties; HSA_MEM_FLAGS_NON_VOLATILE \
(0x2) is bit 1. KFD leaves both clear on a discrete GPU's banks.",
            "rdna1_fg sets bit 0 on the banks of the nodes it selects (device_id 0x731f, \
Navi 10, by default) while it is loaded, and clears exactly the bits it set when it is unloaded.",
        ],
        references: &[r(
            LINUX,
            "include/uapi/linux/kfd_sysfs.h",
            "HSA_MEM_FLAGS_HOT_PLUGGABLE",
        )],
    },
    Topic {
        id: "changes",
        title: "What it changes",
        text: &[
            "What user space reads from the topology. libhsakmt reads each bank's `flags` into \
HsaMemoryProperties.Flags, an HSA_MEMORYPROPERTY whose bit 0 is HotPluggable (\"the memory may be \
removed by some system action\") and bit 1 NonVolatile. A program that calls \
hsaKmtGetNodeMemoryProperties() sees HotPluggable = 1 on the patched banks.",
        ],
        references: &[
            r(
                ROCR,
                "libhsakmt/src/topology.c",
                "topology_sysfs_get_mem_props()",
            ),
            r(
                ROCR,
                "libhsakmt/include/hsakmt/hsakmttypes.h",
                "HSA_MEMORYPROPERTY, HsaMemoryProperties",
            ),
        ],
    },
    Topic {
        id: "does-not-change",
        title: "What it does not change",
        text: &[
            "How ROCm uses the memory. No code in ROCr, libhsakmt or CLR reads HotPluggable. \
ROCr builds a GPU's memory pools in GpuAgent::InitRegionList() from each bank's heap type, the \
GPU's ISA and its xGMI hive, never from the bank's flags: for VRAM, a coarse-grained pool, an \
extended-scope fine-grained pool (not on gfx12.0), and a fine-grained pool that applications are \
shown only when the GPU is in an xGMI hive (HiveID != 0) or HSA_FORCE_FINE_GRAIN_PCIE=1 is set.",
            "So with or without the flag, the same pools exist, with the same granularity, and \
nothing about allocation or kernels changes. The flag does not make a Navi 10 GPU fine-grained \
for ROCm.",
        ],
        references: &[r(
            ROCR,
            "runtime/hsa-runtime/core/runtime/amd_gpu_agent.cpp",
            "GpuAgent::InitRegionList()",
        )],
    },
    Topic {
        id: "HSA_OVERRIDE_GFX_VERSION",
        title: "HSA_OVERRIDE_GFX_VERSION",
        text: &[
            "Read by libhsakmt as major.minor.stepping (10.3.0 means gfx1030); \
HSA_OVERRIDE_GFX_VERSION_<node> sets it for one node. libhsakmt stores it as the node's \
OverrideEngineId, and ROCr then takes the GPU's ISA from it: ROCr, and the code objects it loads, \
treat the GPU as that gfx target.",
            "It does not change the hardware: a Navi 10 GPU still executes gfx1010 \
instructions, and code built for another target may use what gfx1010 lacks. It has nothing to \
do with HOT_PLUGGABLE or with memory pools.",
        ],
        references: &[
            r(
                ROCR,
                "libhsakmt/src/topology.c",
                "topology_sysfs_get_node_props()",
            ),
            r(
                ROCR,
                "runtime/hsa-runtime/core/runtime/amd_gpu_agent.cpp",
                "GpuAgent::GpuAgent() (OverrideEngineId)",
            ),
        ],
    },
    Topic {
        id: "HSA_FORCE_FINE_GRAIN_PCIE",
        title: "HSA_FORCE_FINE_GRAIN_PCIE",
        text: &[
            "Read by ROCr; only the value 1 turns it on. GpuAgent::InitRegionList() then shows \
applications the fine-grained VRAM pool of GPUs that are not in an xGMI hive, such as a Navi 10 \
card on PCIe. This, not HOT_PLUGGABLE, is the switch in ROCr's code for a fine-grained VRAM \
pool; rdna1_fg does not set it.",
        ],
        references: &[
            r(
                ROCR,
                "runtime/hsa-runtime/core/util/flag.h",
                "Flag::Refresh() (fine_grain_pcie_)",
            ),
            r(
                ROCR,
                "runtime/hsa-runtime/core/runtime/amd_gpu_agent.cpp",
                "GpuAgent::InitRegionList()",
            ),
        ],
    },
];

/// Where the ROCm references were read.
pub const CHECKED_AT: &str = "ROCm sources read: ROCm/ROCR-Runtime at commit c7785a6 (2024-10-23, \
with libhsakmt), ROCm/clr at commit f9f995c (2024-10-22).";

/// The JSON form.
#[derive(Debug, Serialize)]
pub struct Explanation {
    /// The topics.
    pub topics: &'static [Topic],
    /// Where the ROCm references were read.
    pub checked_at: &'static str,
}

/// The topics as text.
pub fn text() -> String {
    let mut out = String::new();
    for topic in TOPICS {
        let _ = writeln!(out, "{}", topic.title);
        for paragraph in topic.text {
            out.push_str(&wrap(paragraph, 78, "  "));
        }
        for reference in topic.references {
            let _ = writeln!(
                out,
                "  see: {} {}: {}",
                reference.project, reference.file, reference.symbol
            );
        }
        out.push('\n');
    }
    out.push_str(&wrap(CHECKED_AT, 78, ""));
    out
}

/// Wraps `text` at `width` columns, each line starting with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.len() > indent.len() && line.len() + 1 + word.len() > width {
            out.push_str(&line);
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}
