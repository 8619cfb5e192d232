import { answerCall, MOCK_AWS } from "../mocks";

/** The AWS provider functions the hybrid components call, answered as the mocked account would. */
export function answerAwsCalls(): void {
  answerCall("aws:index/getCallerIdentity:getCallerIdentity", () => ({
    accountId: MOCK_AWS.accountId,
    arn: `arn:aws:iam::${MOCK_AWS.accountId}:user/test`,
    userId: "AIDATEST",
    id: MOCK_AWS.accountId,
  }));
  answerCall("aws:index/getRegion:getRegion", () => ({ region: MOCK_AWS.region, name: MOCK_AWS.region }));
  answerCall("aws:index/getPartition:getPartition", () => ({
    partition: MOCK_AWS.partition,
    dnsSuffix: "amazonaws.com",
    id: MOCK_AWS.partition,
  }));
}
