// What the tests read from WGSL source: the members of a struct, to check the TypeScript packers and
// state layouts against it.

/** The members of `struct name { ... }` in order, as name and type. */
export function structMembers(source: string, name: string): { name: string; type: string }[] {
  const body = new RegExp(`struct\\s+${name}\\s*\\{([^}]*)\\}`).exec(source)?.[1];
  if (!body) throw new Error(`struct ${name} not found`);
  return body
    .split(',')
    .map((member) => member.trim())
    .filter(Boolean)
    .map((member) => {
      const [memberName, type] = member.split(':').map((part) => part.trim());
      return { name: memberName, type };
    });
}
