import { createGrpcSender } from '../../../../loadtest/senders/grpc-h2.js';
import { grpcSenderContract } from './grpc-sender-contract.js';

grpcSenderContract('node:http2', createGrpcSender);
