// What the tests read from WGSL source: the members of a struct and their layout, to check the
// TypeScript packers and state layouts against it.

/** The members of `struct name { ... }` in order, as name and type (comments ignored). */
export function structMembers(source: string, name: string): { name: string; type: string }[] {
  const body = new RegExp(`struct\\s+${name}\\s*\\{([^}]*)\\}`).exec(source)?.[1];
  if (!body) throw new Error(`struct ${name} not found`);
  return body
    .replace(/\/\/.*$/gm, '')
    .split(',')
    .map((member) => member.trim())
    .filter(Boolean)
    .map((member) => {
      const [memberName, type] = member.split(':').map((part) => part.trim());
      return { name: memberName, type };
    });
}

export interface StructMember {
  readonly name: string;
  readonly type: string;
  /** Byte offset by the WGSL layout rules. */
  readonly offset: number;
  /** Scalars of 4 bytes in the member. */
  readonly components: number;
  readonly scalar: 'f32' | 'u32' | 'i32';
}

// [components, size, align] of the member types the packed structs use (WGSL layout rules).
const kLayouts: Record<string, [number, number, number]> = {
  f32: [1, 4, 4],
  u32: [1, 4, 4],
  i32: [1, 4, 4],
  'vec2<f32>': [2, 8, 8],
  'vec2<u32>': [2, 8, 8],
  'vec3<f32>': [3, 12, 16],
  'vec4<f32>': [4, 16, 16],
  'vec4<u32>': [4, 16, 16],
  'mat4x4<f32>': [16, 64, 16],
};

/** The members of a struct of 4-byte scalars, vectors and matrices of them, with their offsets, and its size. */
export function structLayout(source: string, name: string): { members: StructMember[]; size: number } {
  let offset = 0;
  let structAlign = 4;
  const members = structMembers(source, name).map(({ name: member, type }) => {
    const layout = kLayouts[type];
    if (!layout) throw new Error(`struct ${name}: member type ${type} not handled by this test`);
    const [components, size, align] = layout;
    const start = Math.ceil(offset / align) * align;
    offset = start + size;
    structAlign = Math.max(structAlign, align);
    const scalar = /u32/.test(type) ? 'u32' : /i32/.test(type) ? 'i32' : 'f32';
    return { name: member, type, offset: start, components, scalar } as const;
  });
  return { members, size: Math.ceil(offset / structAlign) * structAlign };
}

/** A member's values in packed bytes, each scalar read as its WGSL type. */
export function readMember(bytes: ArrayBuffer, member: StructMember): number[] {
  const view = new DataView(bytes);
  return Array.from({ length: member.components }, (_, k) => {
    const at = member.offset + 4 * k;
    if (member.scalar === 'f32') return view.getFloat32(at, true);
    return member.scalar === 'u32' ? view.getUint32(at, true) : view.getInt32(at, true);
  });
}
