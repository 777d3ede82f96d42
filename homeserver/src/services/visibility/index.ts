/** History visibility: who may see which events and state of a room. */
export {
  HistoryVisibility,
  type RoomAccess,
  RoomViewer,
  type Visibility,
  visibilityOf,
} from "./history-visibility.js";
