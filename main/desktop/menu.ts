// The application menu: File (open book, open model, quit), Edit (with Find in
// Book and Search All Books), View, Help.
import { Menu, shell, type MenuItemConstructorOptions } from "electron";

export interface MenuActions {
  openBooks(): void;
  openModel(): void;
  openSettings(): void;
  findInBook(): void;
  searchAllBooks(): void;
  about(): void;
}

export function buildMenu(actions: MenuActions, isDev: boolean): Menu {
  const mac = process.platform === "darwin";
  const template: MenuItemConstructorOptions[] = [
    ...(mac ? [{ role: "appMenu" as const }] : []),
    {
      label: "File",
      submenu: [
        { label: "Open Book…", accelerator: "CmdOrCtrl+O", click: () => actions.openBooks() },
        { label: "Open Model…", accelerator: "CmdOrCtrl+Shift+O", click: () => actions.openModel() },
        { type: "separator" },
        { label: "Settings…", accelerator: "CmdOrCtrl+,", click: () => actions.openSettings() },
        { type: "separator" },
        mac ? { role: "close" } : { role: "quit" },
      ],
    },
    {
      label: "Edit",
      submenu: [
        { role: "undo" },
        { role: "redo" },
        { type: "separator" },
        { role: "cut" },
        { role: "copy" },
        { role: "paste" },
        { role: "selectAll" },
        { type: "separator" },
        { label: "Find in Book…", accelerator: "CmdOrCtrl+F", click: () => actions.findInBook() },
        { label: "Search All Books…", accelerator: "CmdOrCtrl+Shift+F", click: () => actions.searchAllBooks() },
      ],
    },
    {
      label: "View",
      submenu: [
        { role: "resetZoom" },
        { role: "zoomIn" },
        { role: "zoomOut" },
        { type: "separator" },
        { role: "togglefullscreen" },
        ...(isDev ? [{ type: "separator" as const }, { role: "reload" as const }, { role: "toggleDevTools" as const }] : []),
      ],
    },
    {
      role: "help",
      submenu: [
        { label: "RetrievalAttention paper", click: () => void shell.openExternal("https://arxiv.org/abs/2409.10516") },
        { label: "About tome", click: () => actions.about() },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}
