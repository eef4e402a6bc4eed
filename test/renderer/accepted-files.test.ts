// The drop zone's file chooser offers exactly the extensions the library's readers
// read (main/library/ingest's SUPPORTED_EXTENSIONS): a new format's reader must be
// offered, and nothing offered is refused for its name.
import { describe, expect, it } from "vitest";
import { ACCEPT } from "../../renderer/src/components/DropZone";
import { SUPPORTED_EXTENSIONS } from "../../main/library/ingest";

describe("accepted files", () => {
  it("the drop zone's accept list is the readers' extensions", () => {
    expect(ACCEPT.split(",").sort()).toEqual([...SUPPORTED_EXTENSIONS].sort());
  });
});
