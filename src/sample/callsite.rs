//! Strings a PE's code passes to an imported function: for each call through the import
//! table (`call [slot]`, or a call to a `jmp [slot]` thunk) to a function of interest, the
//! string whose address the instructions just before the call load into the argument
//! (x64: `lea REG, [rip+disp]` into the argument's register; x86: `push imm32` or
//! `mov [esp+N], imm32`). It is a byte-pattern reading, not a disassembly: a match needs a
//! call whose target is exactly an import slot and an address that is exactly the start of a
//! string, which bytes that are not code almost never give.
//!
//! What it answers: which string is the name of the mutex `CreateMutexA` creates, where the
//! name itself (`veilcap-2be`) shows nothing. The functions and argument positions are in
//! `data/mutex-names.txt` (`[argument]`).

use super::Section;
pub use crate::findings::executable::CallArgument;

/// How far before a call the argument set-up is looked for, in bytes.
const WINDOW: usize = 48;

/// A function of interest: its import-slot address (a virtual address) and the 1-based
/// position of the string argument.
#[derive(Debug, Clone)]
pub struct Target {
    /// The function's name (`CreateMutexA`).
    pub function: String,
    /// Virtual address of its import-address-table slot.
    pub slot: u64,
    /// Position of the string argument, 1 = first.
    pub position: u8,
}

/// The import slots of the functions whose name argument [`string_arguments`] reads
/// (`data/mutex-names.txt`'s `[argument]` block), from `(function name, slot virtual
/// address)` pairs.
pub fn call_targets<'a>(imports: impl Iterator<Item = (&'a str, u64)>) -> Vec<Target> {
    imports
        .filter_map(|(name, slot)| {
            Some(Target {
                function: name.to_string(),
                slot,
                position: crate::findings::mutex::argument_position(name)?,
            })
        })
        .collect()
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// File offset of a virtual address, inside some section's raw data.
fn va_to_offset(sections: &[Section], image_base: u64, va: u64) -> Option<u64> {
    let rva = va.checked_sub(image_base)?;
    sections.iter().find_map(|s| {
        let into = rva.checked_sub(s.virtual_address)?;
        (into < s.raw_size)
            .then(|| s.raw_offset.checked_add(into))
            .flatten()
    })
}

/// The strings passed to `targets` by the code in `data`'s executable sections.
pub fn string_arguments(
    data: &[u8],
    sections: &[Section],
    image_base: u64,
    is_64: bool,
    targets: &[Target],
) -> Vec<CallArgument> {
    let mut out = Vec::new();
    if targets.is_empty() {
        return out;
    }
    for s in sections.iter().filter(|s| s.x) {
        let (Ok(start), Ok(len)) = (usize::try_from(s.raw_offset), usize::try_from(s.raw_size))
        else {
            continue;
        };
        let Some(code) = data.get(start..start.saturating_add(len).min(data.len())) else {
            continue;
        };
        // The address an instruction ending at `end` (an index into `code`) is followed by.
        let next_va = |end: usize| {
            image_base
                .wrapping_add(s.virtual_address)
                .wrapping_add(end as u64)
        };
        // `jmp [slot]` thunks: their address → the target they jump to.
        let mut thunks = Vec::new();
        let slot_of = |at: usize, end: usize| -> Option<&Target> {
            let d = u32_at(code, at)?;
            let va = if is_64 {
                next_va(end).wrapping_add(i64::from(d as i32) as u64)
            } else {
                u64::from(d)
            };
            targets.iter().find(|t| t.slot == va)
        };
        let end = code.len().saturating_sub(6);
        let scan = &code[..end];
        // Only the bytes that can start a call or a jump are looked at (memchr), so a large
        // code section costs a fraction of a byte-by-byte pass.
        let mut calls: Vec<usize> = Vec::new();
        for i in memchr::memchr_iter(0xff, scan) {
            match code[i + 1] {
                0x25 => {
                    if let Some(t) = slot_of(i + 2, i + 6) {
                        thunks.push((next_va(i), t));
                    }
                }
                0x15 => calls.push(i),
                _ => {}
            }
        }
        if !thunks.is_empty() {
            calls.extend(memchr::memchr_iter(0xe8, scan));
            calls.sort_unstable();
        }
        for i in calls {
            let target = match code[i] {
                0xff => slot_of(i + 2, i + 6),
                _ => u32_at(code, i + 1).and_then(|d| {
                    let va = next_va(i + 5).wrapping_add(i64::from(d as i32) as u64);
                    thunks.iter().find(|(at, _)| *at == va).map(|(_, t)| *t)
                }),
            };
            let Some(target) = target else { continue };
            let window = &code[i.saturating_sub(WINDOW)..i];
            let base = i.saturating_sub(WINDOW);
            let found: Vec<u64> = if is_64 {
                lea_argument(window, target.position)
                    .and_then(|(at, end)| {
                        let d = u32_at(window, at)?;
                        Some(next_va(base + end).wrapping_add(i64::from(d as i32) as u64))
                    })
                    .into_iter()
                    .collect()
            } else {
                push_arguments(window, target.position)
            };
            for offset in found
                .into_iter()
                .filter_map(|va| va_to_offset(sections, image_base, va))
            {
                out.push(CallArgument {
                    function: target.function.clone(),
                    offset,
                });
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// x64: the last `lea REG, [rip+disp32]` into the register of argument `position` (rcx, rdx,
/// r8, r9): the index of its displacement and of the instruction's end in `window`.
fn lea_argument(window: &[u8], position: u8) -> Option<(usize, usize)> {
    let (rex, modrm) = match position {
        1 => (0x48, 0x0d),
        2 => (0x48, 0x15),
        3 => (0x4c, 0x05),
        4 => (0x4c, 0x0d),
        _ => return None,
    };
    (0..window.len().saturating_sub(6))
        .rev()
        .find(|&j| window[j] == rex && window[j + 1] == 0x8d && window[j + 2] == modrm)
        .map(|j| (j + 3, j + 7))
        .filter(|&(_, end)| end <= window.len())
}

/// x86: the address in the last `mov dword [esp+4*(position-1)], imm32` before the call
/// (how gcc sets up arguments) or, without one, every `push imm32` in the window (how MSVC
/// does; pushes of registers and small numbers cannot be told apart backwards, so their
/// positions are not counted: the caller keeps an address only where a string starts).
fn push_arguments(window: &[u8], position: u8) -> Vec<u64> {
    let slot = 4 * (u32::from(position.max(1)) - 1);
    for j in (0..window.len().saturating_sub(6)).rev() {
        // C7 04 24 imm32 (mov [esp], imm32) and C7 44 24 disp8 imm32.
        if window[j] == 0xc7 && window.get(j + 2) == Some(&0x24) {
            let imm = match (window[j + 1], slot) {
                (0x04, 0) => u32_at(window, j + 3),
                (0x44, _) if window.get(j + 3).map(|&d| u32::from(d)) == Some(slot) => {
                    u32_at(window, j + 4)
                }
                _ => None,
            };
            if let Some(imm) = imm {
                return vec![u64::from(imm)];
            }
        }
    }
    (0..window.len().saturating_sub(4))
        .filter(|&j| window[j] == 0x68)
        .filter_map(|j| u32_at(window, j + 1))
        .map(u64::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(raw: usize, len: usize) -> Section {
        let len = len as u64;
        Section::new(
            ".text".into(),
            0x1000,
            len,
            raw as u64,
            len,
            (true, false, true),
        )
    }

    fn rdata() -> Section {
        Section::new(
            ".rdata".into(),
            0x2000,
            0x100,
            0x200,
            0x100,
            (true, false, false),
        )
    }

    #[test]
    fn x64_lea_into_r8_before_a_call_through_the_slot() {
        let base = 0x1_4000_0000u64;
        let mut data = vec![0u8; 0x300];
        // .text at file 0x100 (rva 0x1000): lea r8,[rip+X]; call [rip+Y]
        let code_at = 0x100;
        let lea = [0x4c, 0x8d, 0x05];
        data[code_at..code_at + 3].copy_from_slice(&lea);
        // lea ends at rva 0x1007; the string is at rva 0x2010.
        let disp = (0x2010i64 - 0x1007) as i32;
        data[code_at + 3..code_at + 7].copy_from_slice(&disp.to_le_bytes());
        data[code_at + 7..code_at + 9].copy_from_slice(&[0xff, 0x15]);
        // call ends at rva 0x100d; the slot is at rva 0x2080.
        let disp = (0x2080i64 - 0x100d) as i32;
        data[code_at + 9..code_at + 13].copy_from_slice(&disp.to_le_bytes());
        data[0x210..0x21b].copy_from_slice(b"veilcap-2be");
        let targets = [Target {
            function: "CreateMutexA".into(),
            slot: base + 0x2080,
            position: 3,
        }];
        let got = string_arguments(&data, &[text(0x100, 0x100), rdata()], base, true, &targets);
        assert_eq!(
            got,
            [CallArgument {
                function: "CreateMutexA".into(),
                offset: 0x210
            }]
        );
        // The same bytes with the string in rdx (argument 2) are not CreateMutexA's name.
        let targets = [Target {
            position: 2,
            ..targets[0].clone()
        }];
        assert!(
            string_arguments(&data, &[text(0x100, 0x100), rdata()], base, true, &targets)
                .is_empty()
        );
    }

    #[test]
    fn x86_mov_to_the_stack_and_pushes() {
        let base = 0x40_0000u64;
        let mut data = vec![0u8; 0x300];
        let code_at = 0x100;
        // mov dword [esp+8], 0x402010; call [0x402080]
        data[code_at..code_at + 4].copy_from_slice(&[0xc7, 0x44, 0x24, 0x08]);
        data[code_at + 4..code_at + 8].copy_from_slice(&0x0040_2010u32.to_le_bytes());
        data[code_at + 8..code_at + 10].copy_from_slice(&[0xff, 0x15]);
        data[code_at + 10..code_at + 14].copy_from_slice(&0x0040_2080u32.to_le_bytes());
        // push 0x402030; push 0; push 0; call [0x402080] (stdcall: the name is pushed first)
        let p = code_at + 0x40;
        data[p] = 0x68;
        data[p + 1..p + 5].copy_from_slice(&0x0040_2030u32.to_le_bytes());
        data[p + 5..p + 9].copy_from_slice(&[0x6a, 0x00, 0x6a, 0x00]);
        data[p + 9..p + 11].copy_from_slice(&[0xff, 0x15]);
        data[p + 11..p + 15].copy_from_slice(&0x0040_2080u32.to_le_bytes());
        let targets = [Target {
            function: "CreateMutexA".into(),
            slot: base + 0x2080,
            position: 3,
        }];
        let got = string_arguments(&data, &[text(0x100, 0x100), rdata()], base, false, &targets);
        let offsets: Vec<u64> = got.iter().map(|a| a.offset).collect();
        // The mov form names its stack slot; a push imm32 is a candidate whatever its
        // position (the caller keeps it only where a string starts).
        assert_eq!(offsets, [0x210, 0x230]);
    }

    #[test]
    fn truncated_and_empty_inputs_give_nothing() {
        let targets = [Target {
            function: "CreateMutexA".into(),
            slot: 0x1000,
            position: 3,
        }];
        assert!(string_arguments(&[], &[text(0, 10)], 0, true, &targets).is_empty());
        assert!(string_arguments(&[0xff, 0x15], &[text(0, 2)], 0, false, &targets).is_empty());
        assert!(string_arguments(&[0xff; 64], &[text(0, 64)], 0, false, &[]).is_empty());
    }
}
