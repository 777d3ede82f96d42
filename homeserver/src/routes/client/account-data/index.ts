/** The account data routes ("Client Config"). */
import type { Route } from "../../../http/route.js";
import type { AccountDataService } from "../../../services/account-data/account-data-service.js";
import { getGlobalAccountData, getRoomAccountData } from "./get-account-data.js";
import { putGlobalAccountData, putRoomAccountData } from "./put-account-data.js";
import { tagRoutes } from "./tags.js";

/** Every account data route. */
export function accountDataRoutes(accountData: AccountDataService): Route[] {
  return [
    putGlobalAccountData(accountData),
    getGlobalAccountData(accountData),
    putRoomAccountData(accountData),
    getRoomAccountData(accountData),
    ...tagRoutes(accountData),
  ];
}
